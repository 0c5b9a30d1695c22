"""The entropic mathematics every model family shares (private).

Ball samplers, losses, norms, log-mean-exp and moment-generating-function kernels, the
multilevel Monte Carlo estimators and projections. Modules here import nothing from the
rest of :mod:`skentropic`.
"""
