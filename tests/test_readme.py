"""The README's Python examples run as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks
    import shutil

    shutil.copytree(README.parent / "tests" / "data", tmp_path / "tests" / "data")  # paths as from the repo root
    monkeypatch.chdir(tmp_path)
    from mesolimbic.rlhf._extras import available

    namespace: dict = {}
    ran_rlhf = False
    for code in blocks:
        if "SLURMCluster" in code:
            continue  # needs a SLURM cluster (sbatch) and a shared file system
        if "mesolimbic.rlhf.ppo" in code and not available("torch", "transformers", "tokenizers"):
            continue  # the [rlhf] extra is not installed: that block cannot run here
        ran_rlhf |= "mesolimbic.rlhf.ppo" in code
        exec(compile(code, str(README), "exec"), namespace)
    if ran_rlhf:
        assert namespace["ds"].rpe.dims == ("iteration", "rollout", "token")
    assert (tmp_path / "sim.tsv").exists()


def test_readme_counts_the_experiments_it_runs():
    """The Quick start says how many experiments `mesolimbic reproduce` runs: the registry's count."""
    from mesolimbic.experiments import registry

    said = re.search(r"runs all (\d+) of them", README.read_text())
    assert said and int(said.group(1)) == len(registry.names())
