"""Property-based tests of load_choices: every input either loads to the right values or raises
the package's one-line ValueError — never another exception, never a non-finite value inside.

Also the cases the fault probes found: one inf, -inf, 1e400 or 1e39 in the outcome column
(accepted, and then poisoning a fit), both `choice` and `Choice` (TypeError), and empty,
binary, UTF-16, Latin-1 and gzip files (pandas or codec messages)."""

import bz2
import gzip
import lzma
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from mesolimbic.fitting.data import TASKS, load_choices

# HYPO_N=3000 for a longer search (the suite's default keeps it to seconds)
SETTINGS = settings(max_examples=int(os.environ.get("HYPO_N", 150)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _one_line_value_error(fn):
    """Run ``fn``; return its result, or None after checking it raised a one-line ValueError."""
    try:
        out = fn()
        event("loaded")
        return out
    except ValueError as e:
        event("refused")
        msg = str(e)
        assert msg and "\n" not in msg, repr(msg)
        assert not isinstance(e, (UnicodeError, pd.errors.ParserError)), type(e)  # the package's own message
        return None


def _check_loaded(d, task):
    assert np.isfinite(d.outcome).all() and d.outcome.dtype == np.float32
    assert d.mask.any(1).all()  # every sequence has trials
    assert (d.choice[d.mask] >= 0).all() and (d.choice[d.mask] < d.n_actions).all()
    assert (d.choice[~d.mask] == 0).all() and (d.outcome[~d.mask] == 0).all()
    assert len(d.subjects) == d.n_subjects and set(d.subject) == set(range(d.n_subjects))


# ------------------------------------------------------------------ valid tables round-trip
ids = st.one_of(st.integers(0, 10 ** 6), st.text("abcxyzéüß漢_-", min_size=1, max_size=6).filter(
    lambda s: not s.strip("_-").isdigit()))
f32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@st.composite
def bandit_tables(draw):
    subjects = draw(st.lists(ids, min_size=1, max_size=4, unique_by=lambda x: str(x)))
    assume(len({type(s) for s in subjects}) == 1)  # a file column holds either numbers or names
    rows = []
    for s in subjects:
        n = draw(st.integers(1, 6))
        for t in draw(st.permutations(range(1, n + 1))):
            rows.append((s, t, draw(st.sampled_from([1, 2])), draw(f32)))
    return rows


@SETTINGS
@given(rows=bandit_tables(),
       names=st.sampled_from([("subjID", "trial", "choice", "outcome"), ("SUBJ_ID", "Trial", "Choice", "OUTCOME"),
                              ("subjid", "trial", "choice", "out_come")]),
       sep=st.sampled_from(["\t", ","]), suffix=st.sampled_from([".txt", ".csv", ".tsv"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]),
       compress=st.sampled_from([None, "gz", "bz2", "xz"]))
def test_valid_tables_load_to_the_right_values(rows, names, sep, suffix, encoding, compress):
    if suffix == ".csv":
        sep = ","
    text = sep.join(names) + "\n" + "".join(sep.join([str(s), str(t), str(c), repr(float(o))]) + "\n"
                                            for s, t, c, o in rows)
    raw = text.encode(encoding)
    raw = {None: lambda b: b, "gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[compress](raw)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"data{suffix}{'.' + compress if compress else ''}"
        path.write_bytes(raw)
        d = load_choices(path, "bandit2arm")
    _check_loaded(d, "bandit2arm")
    subjects = list(dict.fromkeys(s for s, *_ in rows))
    assert [str(s) for s in d.subjects] == [str(s) for s in subjects]
    for i, s in enumerate(subjects):
        mine = sorted((t, c, o) for s2, t, c, o in rows if s2 == s)
        n = len(mine)
        assert d.subject[i] == i and d.mask[i].sum() == n
        np.testing.assert_array_equal(d.choice[i, :n], [c - 1 for _, c, _ in mine])
        np.testing.assert_array_equal(d.outcome[i, :n], np.array([o for *_, o in mine], np.float32))


# ------------------------------------------------------------------ arbitrary cells
cells = st.one_of(
    st.integers(-3, 5), st.sampled_from([1, 2, 1.0, 2.0, 12, 34, 56]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e39, -1e39, 3.4e38, 1e-45, 2 ** 63]),
    st.text(max_size=5), st.sampled_from(["inf", "-inf", "1e400", "1e39", "nan", "", " ", "NA", "1", "2", "x"]),
    st.none(), st.booleans(), st.complex_numbers(max_magnitude=5, allow_nan=False),
    st.integers(-(2 ** 70), 2 ** 70),
)
column_names = st.sampled_from(["subjID", "subj_id", "SubjID", "choice", "Choice", "CHOICE", "outcome", "Outcome",
                                "trial", "Trial", "block", "reward", "type", "cue", "keyPressed", "trialNum",
                                "level1_choice", "level2_choice", "extra", "", "choice.1"])


@st.composite
def frames(draw):
    cols = draw(st.lists(column_names, min_size=0, max_size=7))
    n = draw(st.integers(0, 6))
    data = {i: [draw(cells) for _ in range(n)] for i in range(len(cols))}
    df = pd.DataFrame(data, columns=range(len(cols)), dtype=object)
    df.columns = cols  # duplicates allowed on purpose
    return df


@SETTINGS
@given(df=frames(), task=st.sampled_from(sorted(TASKS)), drop_nan=st.booleans())
def test_any_dataframe_loads_cleanly_or_raises_one_line(df, task, drop_nan):
    d = _one_line_value_error(lambda: load_choices(df, task, drop_nan=drop_nan))
    if d is not None:
        _check_loaded(d, task)


@st.composite
def plausible_frames(draw):
    """Mostly valid bandit tables with a few cells replaced by anything."""
    n_sub, n = draw(st.integers(1, 3)), draw(st.integers(1, 5))
    df = pd.DataFrame({"subjID": np.repeat(np.arange(n_sub), n), "trial": np.tile(np.arange(1, n + 1), n_sub),
                       "choice": draw(st.lists(st.sampled_from([1, 2]), min_size=n * n_sub, max_size=n * n_sub)),
                       "outcome": draw(st.lists(f32, min_size=n * n_sub, max_size=n * n_sub))}).astype(object)
    for _ in range(draw(st.integers(0, 3))):
        df.iat[draw(st.integers(0, len(df) - 1)), draw(st.integers(0, 3))] = draw(cells)
    return df


@SETTINGS
@given(df=plausible_frames(), drop_nan=st.booleans())
def test_mostly_valid_tables_load_cleanly_or_raise_one_line(df, drop_nan):
    d = _one_line_value_error(lambda: load_choices(df, "bandit2arm", drop_nan=drop_nan))
    if d is not None:
        _check_loaded(d, "bandit2arm")
        assert d.mask.sum() <= len(df)


# ------------------------------------------------------------------ arbitrary files
@SETTINGS
@given(payload=st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda t: t.encode("utf-8")),
    st.text(max_size=200).map(lambda t: t.encode("utf-16-le", "surrogatepass") if t.isprintable() else b""),
    st.text(alphabet="subjIDchoiceoutcometrial\t,\n12.-éü", max_size=200).map(lambda t: t.encode("latin-1")),
    st.binary(max_size=200).map(gzip.compress)),
    suffix=st.sampled_from([".txt", ".csv", ".gz"]))
def test_any_file_loads_cleanly_or_raises_one_line(payload, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"d{suffix}"
        path.write_bytes(payload)
        d = _one_line_value_error(lambda: load_choices(path, "bandit2arm"))
    if d is not None:
        _check_loaded(d, "bandit2arm")


# ------------------------------------------------------------------ the probes' cases
def _table(outcome="1"):
    return f"subjID\ttrial\tchoice\toutcome\n1\t1\t1\t1\n1\t2\t2\t{outcome}\n2\t1\t1\t-1\n"


@pytest.mark.parametrize("value, expect", [
    ("inf", "must hold finite numbers; row 3 has inf"), ("-inf", "row 3 has -inf"),
    ("1e400", "row 3 has inf"), ("Infinity", "row 3 has inf"),
    ("1e39", "has 1e+39 in row 3, beyond the float32 range"), ("-3.5e38", "beyond the float32 range"),
])
def test_non_finite_and_float32_overflowing_outcomes_are_refused(tmp_path, value, expect):
    path = tmp_path / "d.txt"
    path.write_text(_table(value))
    with pytest.raises(ValueError, match="column 'outcome'") as e:
        load_choices(path, "bandit2arm")
    assert expect in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(ValueError, match="finite|float32"):  # drop_nan does not drop them
        load_choices(path, "bandit2arm", drop_nan=True)


def test_largest_float32_outcome_is_accepted(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text(_table("3.4e38"))
    d = load_choices(path, "bandit2arm")
    assert d.outcome[0, 1] == np.float32(3.4e38) and np.isfinite(d.outcome).all()


def test_two_columns_matching_one_name_are_refused():
    df = pd.DataFrame({"subjID": [1, 1], "choice": [1, 2], "Choice": [2, 1], "outcome": [0, 1]})
    with pytest.raises(ValueError, match=r"columns \['choice', 'Choice'\] all match the column 'choice'"):
        load_choices(df, "bandit2arm")


def test_repeated_header_name_in_a_file_is_refused(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("subjID\tchoice\tchoice\toutcome\n1\t1\t2\t0\n")
    with pytest.raises(ValueError, match=r"column name\(s\) \['choice'\] appear more than once in the header"):
        load_choices(path, "bandit2arm")


@pytest.mark.parametrize("content, expect", [
    (b"", "is empty; expected a header line"),
    (b"\n\n  \n", "is empty"),
    (bytes(range(256)) * 4, "is binary"),
    (_table().replace("1\t1\t1\t1", "\xe9\t1\t1\t1").encode("latin-1"), "is not UTF-8 text (byte 0xe9 on line 2"),
    (b"PK\x03\x04rest", "is a zip archive"),
    (b"\x1f\x8b\x08\x00broken", "looks gzip-compressed but cannot be decompressed"),
    (b"\x00\x01\x02\x03" * 50, "is binary"),
])
def test_unreadable_files_give_one_line(tmp_path, content, expect):
    path = tmp_path / "d.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError) as e:
        load_choices(path, "bandit2arm")
    assert expect in str(e.value) and "\n" not in str(e.value) and "d.txt" in str(e.value)


@pytest.mark.parametrize("encode", [lambda t: t.encode("utf-16"), lambda t: t.encode("utf-16-le"),
                                    lambda t: t.encode("utf-16-be"), lambda t: gzip.compress(t.encode()),
                                    lambda t: t.encode("utf-8-sig"), lambda t: bz2.compress(t.encode("utf-16"))])
def test_utf16_with_bom_and_compressed_files_load(tmp_path, encode):
    path = tmp_path / "d.txt"
    path.write_bytes(encode(_table("0.5")))
    d = load_choices(path, "bandit2arm")
    assert d.subjects == [1, 2] and d.outcome[0].tolist() == [1.0, 0.5]


def test_a_folder_or_a_non_path_is_refused(tmp_path):
    with pytest.raises(ValueError, match="is a folder, not a file"):
        load_choices(tmp_path, "bandit2arm")
    with pytest.raises(ValueError, match="data must be a path to a TSV/CSV file or a pandas DataFrame, got int"):
        load_choices(3, "bandit2arm")


def test_mixed_type_subject_ids_keep_their_order():
    """IDs of mixed types (which do not sort) load, in order of first appearance."""
    df = pd.DataFrame({"subjID": ["b", 1, "b", 1], "trial": [2, 2, 1, 1], "choice": [1, 2, 2, 1],
                       "outcome": [0.0, 1.0, 2.0, 3.0]})
    d = load_choices(df, "bandit2arm")
    assert d.subjects == ["b", 1] and d.one_sequence_each
    assert d.outcome.tolist() == [[2.0, 0.0], [3.0, 1.0]]
