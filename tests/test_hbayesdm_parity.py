"""Parity with hBayesDM: an independent likelihood for every fit model that claims it.

Each function below is one hBayesDM Stan model's per-subject log-likelihood (the
``model`` block, without the priors), written out here in plain NumPy (float64,
plain loops) from reading the Stan code, with hBayesDM's Python preprocessing of
the raw table (``Python/hbayesdm/preprocess_funcs.py``: rows in file order per
subject, prl outcomes replaced by their sign, pst options from the ``type``
column). Nothing here calls the package's learners: the functions take the raw
hBayesDM table of one subject and hBayesDM's parameter names.

Read at CCS-Lab/hBayesDM commit 9cbe245f3c812e2eb2d259821f80a65ff4007988 (the
snapshot the example data in tests/data/hbayesdm come from); each docstring names
the Stan file and the last commit that changed it.

The tests check, for every model whose ``mirrors`` text claims an hBayesDM
counterpart (the list is derived from the registry, so a new model without a
reference here fails), that ``subject_loglik`` equals the reference per subject
on hBayesDM's example data at random parameters; that the registry's names and
hierarchical ranges are hBayesDM's or the ``mirrors`` text names the difference;
and, where the package deliberately differs, where the difference shows and
where it cannot.
"""

import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from mesolimbic.fitting import MODELS, get_model, load_choices
from mesolimbic.fitting.likelihood import subject_loglik

DATA = Path(__file__).parent / "data" / "hbayesdm"
HBAYESDM_COMMIT = "9cbe245f3c812e2eb2d259821f80a65ff4007988"


# ------------------------------------------------------------------ helpers (Stan's lpmfs)
def log_inv_logit(x):
    """log(inv_logit(x)), stable."""
    return -np.logaddexp(0.0, -x)


def bernoulli_logit_lpmf(y, x):
    """Stan's ``bernoulli_logit_lpmf(y | x)`` for y in {0, 1}."""
    return log_inv_logit(x) if y == 1 else log_inv_logit(-x)


def bernoulli_lpmf(y, p):
    return np.log(p) if y == 1 else np.log1p(-p)


def categorical_logit_lpmf(k, logits):
    """Stan's ``categorical_logit_lpmf(k | logits)`` with k 1-based."""
    logits = np.asarray(logits, float)
    return logits[k - 1] - np.logaddexp.reduce(logits)


def inv_logit(x):
    return expit(x)


# ------------------------------------------------------------------ the Stan models, one function each
def bandit2arm_delta(df, p):
    """commons/stan_files/bandit2arm_delta.stan (last changed in aff4d361).

    Two expected values from 0; choice ~ categorical_logit(tau * ev); the chosen
    value moves by A times (outcome - value). Raw outcomes (no sign)."""
    A, tau = p["A"], p["tau"]
    ev, ll = np.zeros(2), 0.0
    for c, o in zip(df["choice"], df["outcome"]):
        ll += categorical_logit_lpmf(c, tau * ev)
        ev[c - 1] += A * (o - ev[c - 1])
    return ll


def _prl_rp_block(choices, outcomes, Arew, Apun, beta):
    ev, ll = np.zeros(2), 0.0
    for c, o in zip(choices, outcomes):
        ll += categorical_logit_lpmf(c, ev * beta)
        pe = o - ev[c - 1]
        ev[c - 1] += (Arew if o > 0 else Apun) * pe  # the rate by the sign of the OUTCOME (0 -> Apun)
    return ll


def prl_rp(df, p):
    """commons/stan_files/prl_rp.stan (last changed in aff4d361); prl preprocessing: sign(outcome).

    categorical_logit(ev * beta); PE = outcome - ev[choice]; ev[choice] += Arew * PE
    when outcome > 0, else Apun * PE."""
    return _prl_rp_block(df["choice"], np.sign(df["outcome"]), p["Arew"], p["Apun"], p["beta"])


def prl_rp_multipleB(df, p):
    """commons/stan_files/prl_rp_multipleB.stan (last changed in aff4d361); prl_multipleB
    preprocessing: blocks in order of appearance, sign(outcome).

    prl_rp within each block, the values restarting at 0 in every block; blocks summed."""
    return sum(_prl_rp_block(b["choice"], np.sign(b["outcome"]), p["Arew"], p["Apun"], p["beta"])
               for _, b in df.groupby("block", sort=False))


def prl_fictitious(df, p):
    """commons/stan_files/prl_fictitious.stan (last changed in aff4d361); prl preprocessing: sign(outcome).

    P(option 1) = 1 / (1 + exp(beta (alpha - (ev1 - ev2)))); the chosen value moves
    towards the outcome and the unchosen one towards minus the outcome, both at rate eta."""
    eta, alpha, beta = p["eta"], p["alpha"], p["beta"]
    ev, ll = np.zeros(2), 0.0
    for c, o in zip(df["choice"], np.sign(df["outcome"])):
        x = beta * (alpha - (ev[0] - ev[1]))  # P(1) = inv_logit(-x)
        ll += log_inv_logit(-x) if c == 1 else log_inv_logit(x)
        ch, un = c - 1, 2 - c
        pe, pe_nc = o - ev[ch], -o - ev[un]
        ev[ch] += eta * pe
        ev[un] += eta * pe_nc
    return ll


def _gng_noise(w_go, w_nogo, xi):
    return inv_logit(w_go - w_nogo) * (1 - xi) + xi / 2


def gng_m1(df, p):
    """commons/stan_files/gng_m1.stan (last changed in aff4d361).

    Per cue, Q(go) and Q(no-go) from 0; P(go) = inv_logit(Q_go - Q_nogo), mixed with
    the noise xi: P (1 - xi) + xi / 2; the value of the action taken moves by
    ep (rho * outcome - Q)."""
    xi, ep, rho = p["xi"], p["ep"], p["rho"]
    qg, qn, ll = np.zeros(4), np.zeros(4), 0.0
    for cue, pressed, o in zip(df["cue"], df["keyPressed"], df["outcome"]):
        s = cue - 1
        ll += bernoulli_lpmf(pressed, _gng_noise(qg[s], qn[s], xi))
        if pressed:
            qg[s] += ep * (rho * o - qg[s])
        else:
            qn[s] += ep * (rho * o - qn[s])
    return ll


def gng_m2(df, p):
    """commons/stan_files/gng_m2.stan (last changed in aff4d361): gng_m1 with a go bias b
    added to the go weight."""
    xi, ep, b, rho = p["xi"], p["ep"], p["b"], p["rho"]
    qg, qn, ll = np.zeros(4), np.zeros(4), 0.0
    for cue, pressed, o in zip(df["cue"], df["keyPressed"], df["outcome"]):
        s = cue - 1
        ll += bernoulli_lpmf(pressed, _gng_noise(qg[s] + b, qn[s], xi))
        if pressed:
            qg[s] += ep * (rho * o - qg[s])
        else:
            qn[s] += ep * (rho * o - qn[s])
    return ll


def gng_m3(df, p):
    """commons/stan_files/gng_m3.stan (last changed in aff4d361): gng_m2 plus a Pavlovian
    term pi * SV(cue) in the go weight, the cue's value SV learning from
    rho * outcome at rate ep on every trial of that cue, whatever the action."""
    xi, ep, b, pi, rho = p["xi"], p["ep"], p["b"], p["pi"], p["rho"]
    qg, qn, sv, ll = np.zeros(4), np.zeros(4), np.zeros(4), 0.0
    for cue, pressed, o in zip(df["cue"], df["keyPressed"], df["outcome"]):
        s = cue - 1
        ll += bernoulli_lpmf(pressed, _gng_noise(qg[s] + b + pi * sv[s], qn[s], xi))
        sv[s] += ep * (rho * o - sv[s])
        if pressed:
            qg[s] += ep * (rho * o - qg[s])
        else:
            qn[s] += ep * (rho * o - qn[s])
    return ll


def gng_m4(df, p):
    """commons/stan_files/gng_m4.stan (last changed in aff4d361): gng_m3 with the outcome
    scaled by rhoRew when outcome >= 0 and by rhoPun when it is negative (in the
    cue's value and in the action values alike)."""
    xi, ep, b, pi = p["xi"], p["ep"], p["b"], p["pi"]
    qg, qn, sv, ll = np.zeros(4), np.zeros(4), np.zeros(4), 0.0
    for cue, pressed, o in zip(df["cue"], df["keyPressed"], df["outcome"]):
        s = cue - 1
        ll += bernoulli_lpmf(pressed, _gng_noise(qg[s] + b + pi * sv[s], qn[s], xi))
        rho = p["rhoRew"] if o >= 0 else p["rhoPun"]
        sv[s] += ep * (rho * o - sv[s])
        if pressed:
            qg[s] += ep * (rho * o - qg[s])
        else:
            qn[s] += ep * (rho * o - qn[s])
    return ll


def _pst(df, alpha_of_pe, beta):
    ev, ll = np.zeros(6), 0.0
    for typ, choice, r in zip(df["type"], df["choice"], df["reward"]):
        o1, o2 = typ // 10 - 1, typ % 10 - 1  # hBayesDM: option1 = type %/% 10, option2 = type %% 10
        co = o1 if choice > 0 else o2
        ll += bernoulli_logit_lpmf(choice, beta * (ev[o1] - ev[o2]))
        pe = r - ev[co]
        ev[co] += alpha_of_pe(pe) * pe
    return ll


def pst_Q(df, p):
    """commons/stan_files/pst_Q.stan (last changed in 5f509ad3).

    Six stimulus values from 0; choice (1 = option1) ~ bernoulli_logit(beta (ev[option1]
    - ev[option2])); the chosen stimulus moves by alpha (reward - value)."""
    return _pst(df, lambda pe: p["alpha"], p["beta"])


def pst_gainloss_Q(df, p):
    """commons/stan_files/pst_gainloss_Q.stan (last changed in aff4d361): pst_Q with the
    rate alpha_pos when the prediction error is >= 0, alpha_neg when it is negative."""
    return _pst(df, lambda pe: p["alpha_pos"] if pe >= 0 else p["alpha_neg"], p["beta"])


def _ts(df, a1, a2, beta1, beta2, pi, w, lam, trans=0.7):
    """The two-step hybrid of hBayesDM's ts_par* models (trans_prob 0.7, hBayesDM's default).

    Six model-free values from 0 (two first-stage options, then two options in each
    of the two second-stage states). First stage: model-based value of option j =
    trans * max(values of the state it commonly leads to) + (1 - trans) * max(the
    other state's); hybrid = w MB + (1 - w) MF; P(option 2) = inv_logit(beta1
    (hybrid2 - hybrid1) + pi (2 * previous first choice - 3)) from the second trial
    on. Then the chosen first-stage value moves by a1 towards the chosen
    second-stage value; the second choice ~ inv_logit(beta2 (right - left value)) in
    its state; the chosen second-stage value moves by a2 towards the reward; and
    finally the chosen first-stage value moves by lambda * a1 (reward - the UPDATED
    second-stage value)."""
    v, ll, prev = np.zeros(6), 0.0, None
    for c1, c2, r in zip(df["level1_choice"], df["level2_choice"], df["reward"]):
        best_a, best_b = max(v[2], v[3]), max(v[4], v[5])
        mb = np.array([trans * best_a + (1 - trans) * best_b, (1 - trans) * best_a + trans * best_b])
        hyb = w * mb + (1 - w) * v[:2]
        x1 = beta1 * (hyb[1] - hyb[0]) + (0.0 if prev is None else pi * (2 * prev - 3))
        ll += bernoulli_logit_lpmf(c1 - 1, x1)
        i1, i2 = c1 - 1, c2 + 1  # 0-based: first-stage option, second-stage option (2..5)
        v[i1] += a1 * (v[i2] - v[i1])
        x2 = beta2 * ((v[5] - v[4]) if c2 > 2 else (v[3] - v[2]))
        ll += bernoulli_logit_lpmf(1 - c2 % 2, x2)
        v[i2] += a2 * (r - v[i2])
        v[i1] += lam * a1 * (r - v[i2])
        prev = c1
    return ll


def ts_par7(df, p):
    """commons/stan_files/ts_par7.stan (last changed in aff4d361): see :func:`_ts`."""
    return _ts(df, p["a1"], p["a2"], p["beta1"], p["beta2"], p["pi"], p["w"], p["lambda"])


def ts_par6(df, p):
    """commons/stan_files/ts_par6.stan (last changed in aff4d361): ts_par7's code with the
    last update's weight a1 (no lambda, i.e. lambda = 1)."""
    return _ts(df, p["a1"], p["a2"], p["beta1"], p["beta2"], p["pi"], p["w"], 1.0)


def ts_par4(df, p):
    """commons/stan_files/ts_par4.stan (last changed in aff4d361): ts_par6 with one learning
    rate a and one inverse temperature beta for both stages."""
    return _ts(df, p["a"], p["a"], p["beta"], p["beta"], p["pi"], p["w"], 1.0)


#: model -> (reference, example data, hBayesDM's parameters with the range of their
#: transform: (low, high) for Phi_approx scaled to [low, high]; "exp" for exp(.), i.e.
#: (0, inf); "linear" for unbounded)
U, EXP = "linear", "exp"
REFERENCES = {
    "bandit2arm_delta": (bandit2arm_delta, "bandit2arm", {"A": (0, 1), "tau": (0, 5)}),
    "prl_rp": (prl_rp, "prl", {"Arew": (0, 1), "Apun": (0, 1), "beta": (0, 10)}),
    "prl_rp_multipleB": (prl_rp_multipleB, "prl_multipleB", {"Arew": (0, 1), "Apun": (0, 1), "beta": (0, 10)}),
    "prl_fictitious": (prl_fictitious, "prl", {"eta": (0, 1), "alpha": U, "beta": (0, 10)}),
    "gng_m1": (gng_m1, "gng", {"xi": (0, 1), "ep": (0, 1), "rho": EXP}),
    "gng_m2": (gng_m2, "gng", {"xi": (0, 1), "ep": (0, 1), "b": U, "rho": EXP}),
    "gng_m3": (gng_m3, "gng", {"xi": (0, 1), "ep": (0, 1), "b": U, "pi": U, "rho": EXP}),
    "gng_m4": (gng_m4, "gng", {"xi": (0, 1), "ep": (0, 1), "b": U, "pi": U, "rhoRew": EXP, "rhoPun": EXP}),
    "pst_Q": (pst_Q, "pst", {"alpha": (0, 1), "beta": (0, 10)}),
    "pst_gainloss_Q": (pst_gainloss_Q, "pst", {"alpha_pos": (0, 1), "alpha_neg": (0, 1), "beta": (0, 10)}),
    "ts_par7": (ts_par7, "ts", {"a1": (0, 1), "beta1": EXP, "a2": (0, 1), "beta2": EXP, "pi": (0, 5), "w": (0, 1),
                                "lambda": (0, 1)}),
    "ts_par6": (ts_par6, "ts", {"a1": (0, 1), "beta1": EXP, "a2": (0, 1), "beta2": EXP, "pi": (0, 5), "w": (0, 1)}),
    "ts_par4": (ts_par4, "ts", {"a": (0, 1), "beta": EXP, "pi": (0, 5), "w": (0, 1)}),
}

#: registered models that do not claim hBayesDM parity (their ``mirrors`` says "not in hBayesDM")
NOT_CLAIMED = {
    "bandit2arm_delta_stick", "prl_rp_stick", "prl_rp_multipleB_stick", "prl_fictitious_stick", "ts_daw2011",
    "gng_m1_stick", "gng_m2_stick", "gng_m3_stick", "gng_m4_stick", "pst_Q_stick", "pst_gainloss_Q_stick",
    "pst_opal", "pst_opal_stick", "bandit2arm_actor_critic", "bandit2arm_actor_critic_stick",
}

#: ranges where the package's hierarchical range deliberately differs from a bounded hBayesDM one
RANGE_DIFFERENCES = {("ts_par7", "pi"), ("ts_par6", "pi"), ("ts_par4", "pi")}


def claims_parity(name: str) -> bool:
    return "not in hBayesDM" not in MODELS[name].mirrors


CLAIMED = sorted(n for n in MODELS if claims_parity(n))


def raw_table(task: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{task}_exampleData.txt", sep="\t")


def to_hbayesdm(model, params: dict, i: int) -> dict:
    """Subject i's parameters under hBayesDM's names (fixed ones included)."""
    out = {model.hbayes[k][0]: float(v[i]) for k, v in params.items()}
    for k, v in model.fixed.items():
        if k in model.hbayes:
            out[model.hbayes[k][0]] = float(v)
    return out


def draw(model, bounds, n, rng):
    return {k: rng.uniform(bounds[j, 0], bounds[j, 1], n) for j, k in enumerate(model.param_names)}


def references(name, params, raw):
    ref, _, _ = REFERENCES[name]
    model = get_model(name)
    return np.array([ref(g, to_hbayesdm(model, params, i))
                     for i, (_, g) in enumerate(raw.groupby("subjID", sort=False))])


# ------------------------------------------------------------------ the tests
def test_every_registered_model_claims_parity_or_is_listed_as_not_claiming_it():
    assert set(CLAIMED) | NOT_CLAIMED == set(MODELS)
    assert not set(CLAIMED) & NOT_CLAIMED, "a model listed as not claiming parity claims it in its mirrors text"
    for name in NOT_CLAIMED:
        assert "not in hBayesDM" in MODELS[name].mirrors, name


@pytest.mark.parametrize("name", CLAIMED)
def test_likelihood_equals_hbayesdm_stan_model_written_out(name):
    """subject_loglik equals the Stan model block written out in NumPy, per subject, on
    hBayesDM's example data, at 4 random parameter vectors (each subject its own draw):
    3 inside the hierarchical (hBayesDM) ranges, 1 inside the wider MLE ranges."""
    assert name in REFERENCES, f"{name} claims hBayesDM parity ({MODELS[name].mirrors!r}) but has no reference here"
    ref, task, hb_params = REFERENCES[name]
    model = get_model(name)
    assert model.task == task
    # the registry's hBayesDM names are the Stan model's parameters (fixed ones aside)
    names = {model.hbayes[k][0] for k in model.param_names}
    fixed = {model.hbayes[k][0] for k in model.fixed if k in model.hbayes}
    assert names | fixed == set(hb_params), (names, set(hb_params))
    raw = raw_table(task)
    data = load_choices(DATA / f"{task}_exampleData.txt", task)
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    for bounds in (model.hbayes_bounds(),) * 3 + (model.bounds(),):
        params = draw(model, bounds, data.n_subjects, rng)
        ours = np.asarray(subject_loglik(model, params, data), float)
        theirs = references(name, params, raw)
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, err_msg=f"{name} at {params}")


@pytest.mark.parametrize("name", CLAIMED)
def test_ranges_are_hbayesdm_or_the_mirrors_text_says_how_they_differ(name):
    """Where hBayesDM scales Phi_approx to [low, high], the registry uses that range (or
    ``mirrors`` names the difference); where hBayesDM leaves a parameter unbounded
    (linear or exp), ``mirrors`` gives its range here and says it is unbounded in hBayesDM."""
    model = get_model(name)
    _, _, hb_params = REFERENCES[name]
    for k in model.param_names:
        hb, lo, hi = model.hbayes[k]
        theirs = hb_params[hb]
        if isinstance(theirs, tuple):
            if (name, hb) in RANGE_DIFFERENCES:
                said = f"{hb} [{lo:g}, {hi:g}] (hBayesDM [{theirs[0]:g}, {theirs[1]:g}]"
                assert (lo, hi) != theirs and said in model.mirrors, (name, said, model.mirrors)
            else:
                assert (lo, hi) == theirs, f"{name}: {hb} has range {(lo, hi)} here, {theirs} in hBayesDM"
        else:
            said = f"{hb} [{lo:g}, {hi:g}]"
            assert said in model.mirrors and "unbounded in hBayesDM" in model.mirrors, (name, said, model.mirrors)


# ------------------------------------------------------------------ deliberate differences
def test_prl_rp_rate_by_the_rpe_sign_differs_only_after_a_zero_outcome():
    """hBayesDM's prl_rp picks Arew when the (signed) outcome is > 0, else Apun; the
    package's learner picks alpha_pos when the RPE is >= 0. With outcomes +1/-1 and
    values inside [-1, 1] the RPE has the outcome's sign (equal likelihoods: the test
    above). An outcome of 0 (sign 0) after a negative value of the chosen option gives
    a positive RPE: hBayesDM uses Apun, the package alpha_pos — here the two differ,
    and a reference that picks the rate by the RPE's sign agrees with the package."""
    raw = raw_table("prl")
    raw = raw[raw.subjID.isin(raw.subjID.unique()[:4])].copy()
    zero = raw.groupby("subjID").cumcount() % 7 == 6  # every 7th trial of each subject: outcome 0
    raw.loc[zero, "outcome"] = 0
    data = load_choices(raw, "prl")
    model = get_model("prl_rp")
    params = {"alpha_pos": np.full(4, 0.8), "alpha_neg": np.full(4, 0.1), "beta": np.full(4, 3.0)}
    ours = np.asarray(subject_loglik(model, params, data), float)
    theirs = references("prl_rp", params, raw)
    assert np.abs(ours - theirs).max() > 0.05  # the difference is visible

    def by_rpe_sign(df, p):
        ev, ll = np.zeros(2), 0.0
        for c, o in zip(df["choice"], np.sign(df["outcome"])):
            ll += categorical_logit_lpmf(c, ev * p["beta"])
            pe = o - ev[c - 1]
            ev[c - 1] += (p["Arew"] if pe >= 0 else p["Apun"]) * pe
        return ll

    alt = np.array([by_rpe_sign(g, to_hbayesdm(model, params, i))
                    for i, (_, g) in enumerate(raw.groupby("subjID", sort=False))])
    np.testing.assert_allclose(ours, alt, rtol=1e-5)
    # equal rates: the choice of rate cannot matter, zero outcomes or not
    same = {"alpha_pos": np.full(4, 0.4), "alpha_neg": np.full(4, 0.4), "beta": np.full(4, 3.0)}
    np.testing.assert_allclose(np.asarray(subject_loglik(model, same, data)), references("prl_rp", same, raw),
                               rtol=1e-5)
    assert "outcome 0" in model.mirrors and "sign of the RPE" in model.mirrors


def test_prl_outcomes_are_signed_as_hbayesdm_preprocesses_them():
    """hBayesDM's prl preprocessing replaces outcomes by their sign (the multipleB example
    data code them +-25): the package does the same, and without the sign the
    likelihood would differ."""
    raw = raw_table("prl_multipleB")
    assert set(raw.outcome.unique()) == {-25, 25}
    data = load_choices(DATA / "prl_multipleB_exampleData.txt", "prl_multipleB")
    model = get_model("prl_rp_multipleB")
    assert model.sign_outcome
    rng = np.random.default_rng(0)
    params = draw(model, model.hbayes_bounds(), data.n_subjects, rng)
    ours = np.asarray(subject_loglik(model, params, data), float)
    np.testing.assert_allclose(ours, references("prl_rp_multipleB", params, raw), rtol=1e-5)
    unsigned = raw.assign(outcome=raw.outcome / 25 * 3)  # same signs, other magnitudes: same likelihood
    np.testing.assert_allclose(references("prl_rp_multipleB", params, unsigned), ours, rtol=1e-5)
    from dataclasses import replace

    raw_scale = np.asarray(subject_loglik(replace(model, sign_outcome=False), params, data), float)
    assert np.abs(raw_scale - ours).min() > 1.0
