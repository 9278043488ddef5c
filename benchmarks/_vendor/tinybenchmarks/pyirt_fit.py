"""Train py-irt's ``multidim_2pl`` (PyPI py-irt 0.7.1, hierarchical priors) as ``py-irt train`` does.

tinyBenchmarks runs ``py-irt train 'multidim_2pl' ... --dims D --lr 0.1 --epochs 2000 --priors
'hierarchical' --seed 42 --deterministic``. ``py_irt.training.IrtModelTrainer`` exports every
parameter to Python lists each time the loss improves and evaluates the likelihood one observation
at a time (0.47 s an epoch on 28 x 12,032 here), so this driver keeps py-irt's model priors, its
guide (``guide_hierarchical``, unchanged), its optimiser and schedule, and only evaluates the
Bernoulli likelihood on the dense matrix with unanswered cells masked: the same log joint
(``check_same_log_joint``), the same gradients.
"""

import numpy as np
import pyro
import pyro.distributions as dist
import torch
from pyro import poutine
from pyro.infer import SVI, Trace_ELBO
from py_irt.models.multidim_2pl import Multidim2PL


class DenseMultidim2PL(Multidim2PL):
    def model_dense(self, mask, obs):
        # py-irt 0.7.1 Multidim2PL.model_hierarchical's priors, line for line
        d = self.dims
        zero, one, big = torch.tensor(0.0), torch.tensor(1.0), torch.tensor(1.0e6)
        with pyro.plate("mu_b_plate", d):
            mu_b = pyro.sample("mu_b", dist.Normal(zero, big))
        with pyro.plate("u_b_plate", d):
            u_b = pyro.sample("u_b", dist.Gamma(one, one))
        with pyro.plate("mu_theta_plate", d):
            mu_theta = pyro.sample("mu_theta", dist.Normal(zero, big))
        with pyro.plate("u_theta_plate", d):
            u_theta = pyro.sample("u_theta", dist.Gamma(one, one))
        with pyro.plate("mu_gamma_plate", d):
            mu_gamma = pyro.sample("mu_gamma", dist.Normal(zero, big))
        with pyro.plate("u_gamma_plate", d):
            u_gamma = pyro.sample("u_gamma", dist.Gamma(one, one))
        with pyro.plate("thetas", self.num_subjects, dim=-2):
            with pyro.plate("theta_dims", d, dim=-1):
                ability = pyro.sample("theta", dist.Normal(mu_theta, 1.0 / u_theta))
        with pyro.plate("bs", self.num_items, dim=-2):
            with pyro.plate("bs_dims", d, dim=-1):
                diff = pyro.sample("b", dist.Normal(mu_b, 1.0 / u_b))
        with pyro.plate("gammas", self.num_items, dim=-2):
            with pyro.plate("gamma_dims", d, dim=-1):
                disc = pyro.sample(
                    "gamma",
                    dist.LogNormal(mu_gamma.clamp(-5, 5), (1.0 / u_gamma).clamp(max=2.0)),
                )
        # sum_d disc_id (ability_sd - diff_id) for every (subject, item) at once
        logits = ability @ disc.T - (disc * diff).sum(-1)
        with pyro.plate("obs_s", self.num_subjects, dim=-2), pyro.plate("obs_i", self.num_items, dim=-1):
            pyro.sample("obs", dist.Bernoulli(logits=logits).mask(mask), obs=obs)

    def guide_dense(self, mask, obs):
        return self.guide_hierarchical(None, None, None)


def fit(Y, dims, *, epochs=2000, lr=0.1, lr_decay=0.9999, seed=42):
    """Returns (A, B, Theta) shaped as tinyBenchmarks' load_irt_parameters: (1, D, N) twice, (S, D, 1).

    B is the per-dimension offset in item_curve's ``a * theta - b`` form: B_d = disc_d * diff_d.
    """
    torch.set_num_threads(1)  # one core: the benchmark machine is shared
    pyro.clear_param_store()
    pyro.set_rng_seed(seed)
    Y = np.asarray(Y, dtype=float)
    mask = torch.tensor(~np.isnan(Y))
    obs = torch.tensor(np.nan_to_num(Y), dtype=torch.float)
    model = DenseMultidim2PL(num_items=Y.shape[1], num_subjects=Y.shape[0], dims=dims, device="cpu")
    scheduler = pyro.optim.ExponentialLR(
        {"optimizer": torch.optim.Adam, "optim_args": {"lr": lr}, "gamma": lr_decay}
    )
    svi = SVI(model.model_dense, model.guide_dense, scheduler, loss=Trace_ELBO())
    best_loss, best = float("inf"), None
    for _ in range(epochs):
        loss = svi.step(mask, obs)
        if loss < best_loss:  # py-irt keeps the parameters of the best loss
            best_loss = loss
            best = {
                k: pyro.param(k).detach().clone() for k in ("loc_ability", "loc_diff", "loc_disc")
            }
        scheduler.step()
    disc = best["loc_disc"].exp().numpy().astype(float)  # py-irt's export: disc = exp(loc_disc)
    diff = best["loc_diff"].numpy().astype(float)
    A = disc.T[None, :, :]
    B = (disc * diff).T[None, :, :]
    Theta = best["loc_ability"].numpy().astype(float)[:, :, None]
    return A, B, Theta


def check_same_log_joint(Y, dims=3, seed=0):
    """The dense model's log joint equals py-irt's per-observation model's for one guide draw."""
    pyro.clear_param_store()
    pyro.set_rng_seed(seed)
    Y = np.asarray(Y, dtype=float)
    mask = torch.tensor(~np.isnan(Y))
    obs = torch.tensor(np.nan_to_num(Y), dtype=torch.float)
    s, i = np.nonzero(~np.isnan(Y))
    model = DenseMultidim2PL(num_items=Y.shape[1], num_subjects=Y.shape[0], dims=dims, device="cpu")
    guide = poutine.trace(model.guide_dense).get_trace(mask, obs)
    dense = poutine.trace(poutine.replay(model.model_dense, trace=guide)).get_trace(mask, obs)
    orig = poutine.trace(poutine.replay(model.model_hierarchical, trace=guide)).get_trace(
        torch.tensor(s), torch.tensor(i), torch.tensor(Y[s, i], dtype=torch.float)
    )
    return float(dense.log_prob_sum()), float(orig.log_prob_sum())


def _elbo_terms(p, mask, obs, dims):
    """One-sample -ELBO of py-irt's multidim_2pl model and guide (what Trace_ELBO computes)."""
    D = torch.distributions
    pos = {k: v.exp() for k, v in p.items() if k.startswith("log_")}  # positive params (exp bijection)
    logq = 0.0
    logp = 0.0
    z = {}
    for name in ("b", "theta", "gamma"):  # hyper-priors mu_*, u_*
        q_mu = D.Normal(p[f"loc_mu_{name}"], pos[f"log_scale_mu_{name}"])
        mu = q_mu.rsample()
        q_u = D.Gamma(pos[f"log_alpha_{name}"], pos[f"log_beta_{name}"])
        u = q_u.rsample()
        logq = logq + q_mu.log_prob(mu).sum() + q_u.log_prob(u).sum()
        logp = logp + D.Normal(0.0, 1.0e6).log_prob(mu).sum() + D.Gamma(1.0, 1.0).log_prob(u).sum()
        z[name] = (mu, u)
    q_theta = D.Normal(p["loc_ability"], pos["log_scale_ability"])
    q_b = D.Normal(p["loc_diff"], pos["log_scale_diff"])
    q_g = D.LogNormal(p["loc_disc"], pos["log_scale_disc"])
    ability, diff, disc = q_theta.rsample(), q_b.rsample(), q_g.rsample()
    logq = logq + q_theta.log_prob(ability).sum() + q_b.log_prob(diff).sum() + q_g.log_prob(disc).sum()
    mu, u = z["theta"]
    logp = logp + D.Normal(mu, 1.0 / u).log_prob(ability).sum()
    mu, u = z["b"]
    logp = logp + D.Normal(mu, 1.0 / u).log_prob(diff).sum()
    mu, u = z["gamma"]
    logp = logp + D.LogNormal(mu.clamp(-5, 5), (1.0 / u).clamp(max=2.0)).log_prob(disc).sum()
    logits = ability @ disc.T - (disc * diff).sum(-1)
    ll = -torch.nn.functional.binary_cross_entropy_with_logits(logits, obs, reduction="none")
    logp = logp + (ll * mask).sum()
    return -(logp - logq)


def fit_fast(Y, dims, *, epochs=2000, lr=0.1, lr_decay=0.9999, seed=42):
    """``fit`` with the one-sample ELBO written out in torch instead of traced by pyro.

    The same model, guide, initial values (py-irt's), Adam on the unconstrained parameters
    (positive ones through exp, as pyro's ``constraints.positive``), ExponentialLR and
    best-loss parameters; pyro's tracing cost ~50 ms an epoch whatever the data size.
    """
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    Y = np.asarray(Y, dtype=float)
    S, N = Y.shape
    mask = torch.tensor(~np.isnan(Y), dtype=torch.float)
    obs = torch.tensor(np.nan_to_num(Y), dtype=torch.float)
    p = {}
    for name in ("b", "theta", "gamma"):
        p[f"loc_mu_{name}"] = torch.zeros(dims)
        p[f"log_scale_mu_{name}"] = torch.full((dims,), float(np.log(1e2)))
        p[f"log_alpha_{name}"] = torch.zeros(dims)
        p[f"log_beta_{name}"] = torch.zeros(dims)
    p["loc_ability"] = torch.zeros(S, dims)
    p["log_scale_ability"] = torch.zeros(S, dims)
    p["loc_diff"] = torch.zeros(N, dims)
    p["log_scale_diff"] = torch.zeros(N, dims)
    p["loc_disc"] = torch.zeros(N, dims)
    p["log_scale_disc"] = torch.zeros(N, dims)
    for v in p.values():
        v.requires_grad_(True)
    opt = torch.optim.Adam(list(p.values()), lr=lr)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=lr_decay)
    best_loss, best = float("inf"), None
    for _ in range(epochs):
        opt.zero_grad()
        loss = _elbo_terms(p, mask, obs, dims)
        loss.backward()
        opt.step()
        value = float(loss.detach())
        if value < best_loss:  # as py-irt, the parameters after the step of the best loss
            best_loss = value
            best = {k: p[k].detach().clone() for k in ("loc_ability", "loc_diff", "loc_disc")}
        sched.step()
    disc = best["loc_disc"].exp().numpy().astype(float)
    diff = best["loc_diff"].numpy().astype(float)
    return disc.T[None, :, :], (disc * diff).T[None, :, :], best["loc_ability"].numpy()[:, :, None]


def check_fast_equals_pyro(epochs=100):
    """Largest difference of the item curves of ``fit`` (pyro SVI) and ``fit_fast`` on a 28 x 300
    simulation with the same seed: the hand-written ELBO draws the same numbers in the same order."""
    rng = np.random.default_rng(0)
    th = rng.normal(size=(28, 1))
    a, b = rng.uniform(0.5, 2, 300), rng.normal(size=300)
    Y = (rng.random((28, 300)) < 1 / (1 + np.exp(-a * (th - b)))).astype(float)
    Y[0, :10] = np.nan
    curves = []
    for f in (fit, fit_fast):
        A, B, T = f(Y, 2, epochs=epochs)
        z = np.einsum("sd,dn->sn", T[:, :, 0], A[0]) - B[0].sum(0)
        curves.append(1 / (1 + np.exp(-z)))
    return float(np.max(np.abs(curves[0] - curves[1])))
