"""The worst-case distribution ``P*`` of the entropic risk: sampling, density and pictures.

For ``η > 0`` the maximiser of ``E_P[ℓ] − η H(γ)`` over couplings that move each ``x_i`` at most
``ρ`` is absolutely continuous (DESIGN.md section 1):

    p*(z) = 1/n Σ_i 1{z ∈ B_ρ(x_i)} exp(ℓ(z, y_i)/η) / (vol(B_ρ) E_u exp(ℓ(x_i + ρu, y_i)/η)),

a mixture of per-point laws ``P*_i ∝ exp(ℓ/η)`` on the balls. As ``η → 0`` each ``P*_i`` collapses
onto the maximisers of ``ℓ`` on ``B_ρ(x_i)`` (for a binary linear model under the ``l_2`` ball,
the point ``x_i − ρ y_i w/||w||_2``); as ``η → ∞`` it becomes uniform on the ball.

Exact identity used by the tests: with ``G_i(β) = log E_u exp(β ℓ(x_i + ρu))``,
``E_{P*_i}[ℓ] = G_i'(1/η)``, and ``F_i = η G_i(1/η)``, so the mean loss under ``P*`` is the
derivative of ``β ↦ β F(1/β)`` at ``β = 1/η``.
"""

from numbers import Integral

import numpy as np
from scipy.special import gammaln, logsumexp
from sklearn.utils import Bunch, check_random_state

from ._core._norms import NORM_INF, NORM_L2, norm_code
from ._core._plotting import import_pyplot
from ._core._sampling import draw_seed
from ._core._worst_case_kernels import RESAMPLE_MULTINOMIAL, RESAMPLE_SYSTEMATIC, resample_rows
from ._core._worst_case_kernels import worst_case_log_density as _log_density_kernel
from ._loss_models import loss_model
from ._tilted_sampling import entropic_estimate, tilted_losses
from .regularization import _check_inputs, _check_scalar, _resolve

_SCHEMES = {"systematic": RESAMPLE_SYSTEMATIC, "multinomial": RESAMPLE_MULTINOMIAL}


def _single_part(estimator, X, y):
    parts = loss_model(estimator, X, y)
    if len(parts) != 1:
        raise ValueError(
            "The worst-case distribution is defined per binary sub-problem of a one-vs-rest "
            f"model; {type(estimator).__name__} has {len(parts)}. Fit a binary problem or use "
            "a multinomial model."
        )
    return parts[0]


def _check_count(value, name, low):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    return int(value)


def sample_worst_case(estimator, X, y, *, rho=None, eta=None, norm=None, n_proposals=1024, n_draws=1,
                      resampling="systematic", random_state=None):
    """Draw from the worst-case distribution ``P*`` by self-normalised importance resampling.

    For each point, ``m = n_proposals`` proposals ``z_ij = x_i + ρ u_ij`` come from a proposal
    tilted toward the worst case, ``u_ij ~ q_{θ_i}``, ``θ_i = (ρ/η)∇_x ℓ`` one fast-gradient
    step from ``x_i``, or with three or more classes at the competing class's worst case that
    loses most (:func:`skentropic._tilted_sampling.tilts`; :mod:`skentropic._core._tilted`,
    exact weights ``w_ij = p/q``), get
    resampling weights ``π_ij ∝ w_ij exp(ℓ(z_ij, y_i)/η)`` (max-subtracted, stable for any
    ``η > 0``; uniform over the best proposals when ``η = 0``), and ``n_draws`` of them are
    resampled. The draws follow ``P*_i`` as ``m → ∞``; the effective sample size
    ``ESS_i = 1/Σ_j π_ij²`` says how many proposals carry the weight. Uniform proposals in high
    dimension almost never reach the region that dominates ``P*`` for small ``η``; tilted ones
    are aimed at it (for a loss linear in ``x`` under the ``l_∞`` ball the weights are
    constant and ``ESS = m``).

    Parameters
    ----------
    estimator : fitted classifier or callable ``loss_grad(X, y) -> (loss, grad)``
        As in :func:`skentropic.regularization.regularization_penalties`; one-vs-rest models
        with several sub-problems are rejected.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    rho, eta : float or None
        ``ρ >= 0``, ``η >= 0`` (``0``: the best proposal, an approximation of the adversarial
        point); ``None`` reads the estimator's attributes.
    norm : {np.inf, "inf", 2, 1} or None
    n_proposals : int, default=1024
    n_draws : int, default=1
        Draws per data point.
    resampling : {"systematic", "multinomial"}, default="systematic"
    random_state : int, RandomState instance or None

    Returns
    -------
    Bunch
        ``samples`` (n_samples * n_draws, n_features), ``origin`` (index of the data point of
        each draw), ``y`` (its label), ``ess`` (n_samples,), ``mean_loss`` (n_samples,): the
        self-normalised estimate ``Σ_j π_ij ℓ(z_ij)`` of ``E_{P*_i}[ℓ]``, and ``objective``
        (n_samples,): the importance-sampling estimate of ``F_i``
        (:func:`skentropic._tilted_sampling.entropic_estimate`).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skentropic.worst_case import sample_worst_case
    >>> X = np.array([[0., 0.], [1., 1.], [0., 1.], [1., 0.]]); y = [0, 1, 1, 0]
    >>> clf = LogisticRegression().fit(X, y)
    >>> draws = sample_worst_case(clf, X, y, rho=0.3, eta=0.1, norm=2, random_state=0)
    >>> bool((np.linalg.norm(draws.samples - X[draws.origin], axis=1) <= 0.3).all())
    True
    """
    rho = _check_scalar(_resolve(estimator, "rho", rho), "rho")
    eta = _check_scalar(_resolve(estimator, "eta", eta), "eta")
    code = norm_code(_resolve(estimator, "norm", norm))
    n_proposals = _check_count(n_proposals, "n_proposals", 1)
    n_draws = _check_count(n_draws, "n_draws", 1)
    if resampling not in _SCHEMES:
        raise ValueError(f"resampling must be one of {sorted(_SCHEMES)}, got {resampling!r}.")
    X, y, _ = _check_inputs(estimator, X, y, None, 4)
    part = _single_part(estimator, X, y)
    rng = check_random_state(random_state)
    n, d = X.shape
    samples = np.empty((n, n_draws, d))
    ess, mean_loss, objective = np.empty(n), np.empty(n), np.empty(n)
    for start, stop, Z, log_w, L in tilted_losses(part, X, rho, eta, code, n_proposals, rng):
        # resampling weights ∝ w_ij exp(ℓ_ij/η): pass ℓ + η log w (η = 0: the best proposal)
        scored = np.ascontiguousarray(L + eta * log_w) if eta > 0 else np.ascontiguousarray(L)
        idx, ess[start:stop], _, _ = resample_rows(scored, eta, n_draws, _SCHEMES[resampling], draw_seed(rng))
        samples[start:stop] = np.take_along_axis(Z, idx[:, :, None], axis=1)
        if eta > 0:
            pi = np.exp(scored / eta - logsumexp(scored / eta, axis=1, keepdims=True))
            mean_loss[start:stop] = np.sum(pi * L, axis=1)
            objective[start:stop] = entropic_estimate(L, log_w, eta)[0]
        else:
            mean_loss[start:stop] = objective[start:stop] = L.max(axis=1)
    origin = np.repeat(np.arange(n), n_draws)
    return Bunch(samples=samples.reshape(-1, d), origin=origin, y=y[origin], ess=ess,
                 mean_loss=mean_loss, objective=objective)


def log_ball_volume(rho, n_features, code):
    """``log vol(B_ρ)``: ``(2ρ)^d`` (``l_∞``), ``π^{d/2} ρ^d / Γ(d/2+1)`` (``l_2``), ``(2ρ)^d/d!`` (``l_1``)."""
    d = float(n_features)
    if code == NORM_INF:
        return d * np.log(2.0 * rho)
    if code == NORM_L2:
        return 0.5 * d * np.log(np.pi) + d * np.log(rho) - gammaln(0.5 * d + 1.0)
    return d * np.log(2.0 * rho) - gammaln(d + 1.0)


def worst_case_log_density(estimator, X, y, Z, *, rho=None, eta=None, norm=None, n_inner_samples=4096,
                           random_state=None):
    """Log-density ``log p*(z)`` of the worst-case distribution at the points ``Z``.

    ``p*(z) = 1/n Σ_i 1{z ∈ B_ρ(x_i)} exp(ℓ(z, y_i)/η − log N_i) / vol(B_ρ)`` with the normaliser
    ``log N_i = log E_u exp(ℓ(x_i + ρu, y_i)/η) = F_i/η``: exact for binary linear margin-loss
    models under the ``l_2`` and ``l_∞`` balls, otherwise an importance-sampling estimate with
    ``n_inner_samples`` tilted proposals per point (its error shifts each component's total
    mass, not its shape). ``−inf`` outside every ball. Any dimension works; 2-D data makes a picture.

    Parameters
    ----------
    estimator, X, y, rho, norm, random_state
        As in :func:`sample_worst_case`.
    Z : array-like of shape (n_points, n_features)
        Where to evaluate the density.
    eta : float > 0 or None
        ``P*`` has no density at ``η = 0``.
    n_inner_samples : int, default=4096

    Returns
    -------
    ndarray of shape (n_points,)
    """
    rho = _check_scalar(_resolve(estimator, "rho", rho), "rho", allow_zero=False)
    eta = _check_scalar(_resolve(estimator, "eta", eta), "eta", allow_zero=False)
    code = norm_code(_resolve(estimator, "norm", norm))
    X, y, _ = _check_inputs(estimator, X, y, None, n_inner_samples)
    Z = np.ascontiguousarray(np.asarray(Z, dtype=float))
    if Z.ndim != 2 or Z.shape[1] != X.shape[1] or not np.isfinite(Z).all():
        raise ValueError(f"Z must be a finite array of shape (n_points, {X.shape[1]}), got {Z.shape}.")
    part = _single_part(estimator, X, y)
    F = part.exact(X, part.target, rho, eta, code)
    if F is None:
        F = np.empty(X.shape[0])
        for start, stop, _, log_w, L in tilted_losses(part, X, rho, eta, code, n_inner_samples,
                                                      check_random_state(random_state)):
            F[start:stop] = entropic_estimate(L, log_w, eta)[0]
    targets, y_enc = np.unique(part.target, return_inverse=True)
    LZ = np.column_stack([part.loss(Z, np.full(Z.shape[0], t)) for t in targets])
    return _log_density_kernel(Z, X, y_enc.astype(np.int64), np.ascontiguousarray(LZ), F / eta,
                                         rho, eta, code, log_ball_volume(rho, X.shape[1], code))



def plot_worst_case(estimator, X, y, *, rho=None, etas=(1.0, 0.1, 0.01, 1e-4), norm=None, grid_size=150,
                    n_inner_samples=2048, n_proposals=2048, log_range=8.0, random_state=None):
    """The talk's two pictures for 2-D data: the loss surface, and ``P*`` over it for each ``η``.

    Panel 1 shows ``ℓ(z; θ)`` for the label of the second class (``classes_[1]``; the loss of
    ``y = +1`` for binary margin models) with the data, the balls ``B_ρ(x_i)`` and the decision
    boundary ``ℓ(z, +1) = ℓ(z, −1)`` where it exists. The other panels show
    ``log p*(z)`` (:func:`worst_case_log_density`, clipped ``log_range`` below its maximum) with
    one resampled draw per point (:func:`sample_worst_case`) on top; as ``η → 0`` the mass
    collapses onto each ball's worst points.

    Parameters
    ----------
    estimator, X, y, rho, norm, random_state
        As in :func:`sample_worst_case`; ``X`` must have 2 columns.
    etas : sequence of float > 0, default=(1.0, 0.1, 0.01, 1e-4)
        From large to tiny.
    grid_size : int, default=150
        Grid points per axis.
    n_inner_samples, n_proposals : int
        Monte Carlo sizes of the normalisers and of the sampler.
    log_range : float, default=8.0
        Decades of ``e`` shown below each panel's maximal log-density.

    Returns
    -------
    fig : matplotlib Figure

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install skentropic[plots]``).
    """
    plt = import_pyplot("plot_worst_case")
    from matplotlib.patches import Circle, Polygon, Rectangle
    rho = _check_scalar(_resolve(estimator, "rho", rho), "rho", allow_zero=False)
    code = norm_code(_resolve(estimator, "norm", norm))
    X, y, _ = _check_inputs(estimator, X, y, None, n_inner_samples)
    if X.shape[1] != 2:
        raise ValueError(f"plot_worst_case needs 2-D data, got {X.shape[1]} features.")
    part = _single_part(estimator, X, y)
    rng = check_random_state(random_state)
    lo, hi = X.min(axis=0) - 1.5 * rho, X.max(axis=0) + 1.5 * rho
    gx, gy = np.linspace(lo[0], hi[0], grid_size), np.linspace(lo[1], hi[1], grid_size)
    xx, yy = np.meshgrid(gx, gy)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    targets = np.unique(part.target)
    surfaces = [part.loss(grid, np.full(len(grid), t)).reshape(xx.shape) for t in targets]

    def balls(ax):
        for x in X:
            if code == NORM_L2:
                patch = Circle(x, rho)
            elif code == NORM_INF:
                patch = Rectangle(x - rho, 2 * rho, 2 * rho)
            else:
                patch = Polygon([x + [rho, 0], x + [0, rho], x - [rho, 0], x - [0, rho]])
            patch.set(fill=False, lw=0.5, ec="white", alpha=0.7)
            ax.add_patch(patch)

    # at most three panels a row, so that each stays readable in a page's text column
    n_panels = len(etas) + 1
    ncols = min(n_panels, 3)
    nrows = -(-n_panels // ncols)
    # panels drawn with equal axis scales: their height follows the data's aspect ratio
    aspect = (hi[1] - lo[1]) / (hi[0] - lo[0])
    height = min(max(2.7 * aspect, 1.4), 4.0) + 0.9
    fig, grid_axes = plt.subplots(nrows, ncols, figsize=(3.1 * ncols, height * nrows), squeeze=False,
                                  sharex=True, sharey=True, constrained_layout=True)
    axes, spare = grid_axes.ravel()[:n_panels], grid_axes.ravel()[n_panels:]
    ax = axes[0]
    im = ax.contourf(xx, yy, surfaces[-1], levels=30, cmap="viridis")
    if len(surfaces) == 2:
        ax.contour(xx, yy, surfaces[1] - surfaces[0], levels=[0.0], colors="red", linewidths=1)
    fig.colorbar(im, ax=ax, shrink=0.8, label=f"loss for y = {_label(targets[-1])}")
    ax.scatter(X[:, 0], X[:, 1], c=np.searchsorted(targets, part.target), cmap="coolwarm",
               edgecolors="k", s=18)
    balls(ax)
    ax.set_title(f"loss ℓ(z; θ) for y = {_label(targets[-1])}")
    for ax, eta in zip(axes[1:], etas):
        seed = draw_seed(rng)
        logp = worst_case_log_density(estimator, X, y, grid, rho=rho, eta=eta, norm=code_to_norm(code),
                                      n_inner_samples=n_inner_samples, random_state=seed)
        logp = logp.reshape(xx.shape)
        top = np.max(logp[np.isfinite(logp)])
        shown = np.where(np.isfinite(logp), np.maximum(logp, top - log_range), np.nan)
        ax.contourf(xx, yy, surfaces[-1], levels=30, cmap="Greys", alpha=0.35)
        ax.pcolormesh(xx, yy, shown, cmap="magma", shading="auto")
        draws = sample_worst_case(estimator, X, y, rho=rho, eta=eta, norm=code_to_norm(code),
                                  n_proposals=n_proposals, n_draws=3, random_state=seed)
        ax.scatter(draws.samples[:, 0], draws.samples[:, 1], s=5, c="cyan", lw=0, alpha=0.8)
        balls(ax)
        ax.set_title(f"worst case P*, η = {eta:g}")
    axes[0].set_xlim(lo[0], hi[0])
    axes[0].set_ylim(lo[1], hi[1])
    for k, ax in enumerate(axes):
        ax.set_aspect("equal")
        if k + ncols >= n_panels:  # lowest panel of its column
            ax.set_xlabel("feature 1")
            ax.tick_params(labelbottom=True)
        if k % ncols == 0:
            ax.set_ylabel("feature 2")
    _worst_case_legend(plt, spare[0] if len(spare) else axes[0], targets, len(surfaces) == 2, log_range)
    for ax in spare:
        ax.axis("off")
    return fig


def _worst_case_legend(plt, ax, targets, boundary, log_range):
    """Say what the marks of :func:`plot_worst_case` are, on a spare panel or the first one."""
    from matplotlib.lines import Line2D
    cmap = plt.get_cmap("coolwarm")
    handles = [Line2D([], [], ls="", marker="o", mfc=cmap(i / max(len(targets) - 1, 1)), mec="k",
                      label=f"training point, y = {_label(t)}") for i, t in enumerate(targets)]
    handles.append(Line2D([], [], ls="", marker="o", ms=12, mfc="none", mec="0.5",
                          label="ball B_ρ(x_i) (white outline)"))
    if boundary:
        handles.append(Line2D([], [], color="red", lw=1, label="decision boundary"))
    handles.append(Line2D([], [], ls="", marker="o", ms=4, mfc="cyan", mec="none",
                          label="draws from P* (3 per point)"))
    handles.append(Line2D([], [], ls="", marker="s", ms=10, mfc=plt.get_cmap("magma")(0.75),
                          mec="none", label=f"log-density of P* (bright: high;\nclipped {log_range:g} below its top)"))
    ax.legend(handles=handles, loc="center" if not ax.has_data() else "best")


def _label(t):
    return f"{t:g}" if isinstance(t, (int, float, np.number)) else str(t)


def code_to_norm(code):
    """The public ``norm`` value (``np.inf``, 2 or 1) of a norm code."""
    return {NORM_INF: np.inf, NORM_L2: 2}.get(code, 1)
