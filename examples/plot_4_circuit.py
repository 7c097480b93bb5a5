"""
The reward circuit and its manipulations
========================================

The circuit is a real-time learner like TD, built from regions that each compute one
thing: the VTA the prediction error, the nucleus accumbens (NAc) the learned value and
incentive salience ("wanting"), the amygdala appetitive and aversive associations,
the prefrontal cortex (PFC) the decision to approach. Lesions, drugs, dopamine
depletion, optogenetic stimulation and physiological state are objects you compose;
each result says which region every signal comes from.
"""

# %%
# Every region's signal, per trial
# --------------------------------
# A cue ``A`` followed by sucrose. :func:`~mesolimbic.circuit.simulate_circuit` records,
# per trial, each signal at cue onset (``_cs``) and at the time of the US (``_us``);
# the ``region`` attribute of each variable says where it comes from.
import matplotlib.pyplot as plt

import mesolimbic as ml
from mesolimbic.circuit import (
    Circuit,
    DopamineAgonist,
    DopamineDepletion,
    Drug,
    Lesion,
    Opioid,
    PhysiologicalState,
    simulate_circuit,
    simulate_vigour,
)
from mesolimbic.circuit.regions import REGIONS

for name, region in REGIONS.items():
    print(f"{name:9s} outputs {', '.join(region.outputs):28s} needs {', '.join(region.needs) or '-'}")
print("\nVTA:", REGIONS["vta"].claim)

design = ml.PavlovianDesign.from_notation([("training", {"A+": 40})])
full = simulate_circuit(design, Circuit(), n_agents=20, seed=0)
for v in ["rpe_cs", "rpe_us", "wanting_cs", "liking_us", "approach_cs"]:
    print(
        f"{v:12s} region={full[v].attrs.get('region', '?'):9s} last trial: {float(full[v].isel(trial=-1).mean()):+.3f}"
    )

# %%
# Manipulations are composed
# --------------------------
# Dopamine depletion scales bursts and the dopamine gain of wanting; an opioid in the
# NAc hotspot scales liking; an amygdala lesion removes aversive learning. Berridge's
# dissociation follows: dopamine moves wanting, not liking; opioids move liking.
conditions = {
    "intact": Circuit(),
    "dopamine depleted": Circuit(manipulations=[DopamineDepletion(0.8)]),
    "dopamine agonist": Circuit(manipulations=[DopamineAgonist(2.0)]),
    "opioid (NAc)": Circuit(manipulations=[Opioid(2.0)]),
}
res = {k: simulate_circuit(design, c, n_agents=20, seed=0) for k, c in conditions.items()}

fig, axes = plt.subplots(1, 2, figsize=(8, 3), sharex=True)
for k, d in res.items():
    axes[0].plot(d.wanting_cs.isel(param_set=0).mean("agent"), label=k)
    axes[1].plot(d.liking_us.isel(param_set=0).mean("agent"), label=k)
axes[0].set(title="wanting at the cue (NAc)", xlabel="trial")
axes[1].set(title="liking at the sucrose (NAc hotspot)", xlabel="trial")
axes[0].legend(fontsize=8)
fig.tight_layout()

# %%
# Fear and the amygdala
# ---------------------
# Cue ``B`` predicts a shock (a US of -1). The amygdala learns the aversive
# association; lesioning it abolishes fear of the cue but spares appetitive learning.
aversive = ml.PavlovianDesign(
    trial_types=[
        ml.TrialType("A+", cues=["A"], us_time=1.0),
        ml.TrialType("B_shock", cues=["B"], us_time=1.0, magnitude=-1.0),
    ],
    phases=[ml.Phase("training", {"A+": 40, "B_shock": 40}, order="random")],
)
for label, circ in [("intact", Circuit()), ("amygdala lesion", Circuit(manipulations=[Lesion("amygdala")]))]:
    d = simulate_circuit(aversive, circ, n_agents=20, seed=0)
    last = d.isel(param_set=0, trial=slice(-20, None))
    fear = float(last.fear_cs.where(last.trial_type == "B_shock").mean())
    want = float(last.wanting_cs.where(last.trial_type == "A+").mean())
    print(f"{label:16s} fear of B {fear:+.2f}   wanting of A {want:+.2f}")

# %%
# A drug that cannot be predicted away
# ------------------------------------
# Redish (2004): a drug raises dopamine whatever was predicted, so the error at the
# US never reaches zero and the value of its cue grows without bound, unlike a
# natural reward's.
long = ml.PavlovianDesign.from_notation([("training", {"A+": 200})])
fig, ax = plt.subplots(figsize=(5, 3))
for label, circ in [("natural reward", Circuit()), ("drug", Circuit(manipulations=[Drug(0.5)]))]:
    d = simulate_circuit(long, circ, n_agents=5, seed=0)
    ax.plot(d.value_nac_cs.isel(param_set=0).mean("agent"), label=label)
ax.set(xlabel="trial", ylabel="learned value of the cue")
ax.legend()
fig.tight_layout()

# %%
# Physiological state changes wanting without learning
# ----------------------------------------------------
# Zhang et al. (2009): a cue for an intensely salty (disliked) solution becomes wanted
# at once under salt deprivation, before any new pairing.
salt = ml.PavlovianDesign(
    trial_types=[ml.TrialType("salt", cues=["B"], us_time=1.0, magnitude=-1.0)],
    phases=[ml.Phase("training", {"salt": 30}), ml.Phase("test", {"salt": 1})],
)
for label, circ in [
    ("normal", Circuit()),
    ("salt deprived at test", Circuit(manipulations=[PhysiologicalState(kappa=10.0, cues=("B",), phases=("test",))])),
]:
    d = simulate_circuit(salt, circ, n_agents=10, seed=0)
    print(f"{label:22s} wanting of the salt cue at test: {float(d.wanting_cs.isel(trial=-1).mean()):+.2f}")

# %%
# Tonic dopamine and vigour
# -------------------------
# Niv et al. (2007): tonic dopamine reports the average reward rate, the opportunity
# cost of sloth, so more tonic dopamine means faster responding.
fig, ax = plt.subplots(figsize=(5, 3))
for label, circ in [
    ("depleted", Circuit(manipulations=[DopamineDepletion(0.5)])),
    ("intact", Circuit()),
    ("agonist", Circuit(manipulations=[DopamineAgonist(2.0)])),
]:
    v = simulate_vigour(circ, n_responses=300, n_agents=20, seed=0)
    lat = v.latency.isel(param_set=0).mean("agent") if "param_set" in v.latency.dims else v.latency.mean("agent")
    ax.plot(lat, label=label)
ax.set(xlabel="response", ylabel="latency (s)", title="Response vigour")
ax.legend()
fig.tight_layout()
