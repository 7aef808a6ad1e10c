"""A slow, literal NumPy transcription of FTRL-Proximal (McMahan et al. 2013, Algorithm 1).

Written from the paper, one coordinate at a time, so that it shares no code and no
shortcut with the compiled kernel. The tests compare the two to ~1e-10.
"""

import math

import numpy as np
import scipy.sparse as sp


def _log_loss_grad(p, y):
    # d/dp log(1 + exp(-y p)) = -y / (1 + exp(y p)), written with expit for stability; past
    # |y p| > 18 scikit-learn's SGD (and so the kernel) drops the 1 + ... of the denominator,
    # a relative change below 1.6e-8 that a tolerance of 1e-9 sees when many rows lie there
    z = y * p
    if z > 18.0:
        return -y * math.exp(-z)
    if z < -18.0:
        return -y
    return -y * (0.5 * (1.0 - math.tanh(0.5 * z)))


def _loss_gradient(loss, p, y, epsilon):
    """d loss(p, y) / d p, from the textbook definitions of scikit-learn's losses."""
    if loss == "squared_error":
        return p - y
    if loss == "log_loss":
        return _log_loss_grad(p, y)
    if loss == "hinge":
        return -y if y * p <= 1.0 else 0.0
    if loss == "perceptron":
        return -y if y * p <= 0.0 else 0.0
    if loss == "squared_hinge":
        return -2.0 * y * max(0.0, 1.0 - y * p)
    if loss == "modified_huber":
        z = y * p
        if z >= 1.0:
            return 0.0
        return -2.0 * y * (1.0 - z) if z >= -1.0 else -4.0 * y
    if loss == "huber":
        r = p - y
        return r if abs(r) <= epsilon else math.copysign(epsilon, r)
    if loss == "epsilon_insensitive":
        r = p - y
        return 0.0 if abs(r) <= epsilon else math.copysign(1.0, r)
    if loss == "squared_epsilon_insensitive":
        r = p - y
        return 0.0 if abs(r) <= epsilon else 2.0 * (r - math.copysign(epsilon, r))
    raise ValueError(loss)


def ftrl_reference(
    X,
    y,
    *,
    loss,
    eta0,
    beta,
    lambda1,
    lambda2,
    mean_scaled=False,
    fit_intercept=True,
    sample_weight=None,
    epsilon=0.1,
    epochs=1,
    order=None,
    admit_after=None,
):
    """Algorithm 1 over the rows of ``X`` (any scipy sparse or dense matrix).

    ``lambda1``/``lambda2`` are absolute, or per sample seen when ``mean_scaled``
    (round ``t`` uses ``lambda * t``). Returns ``(z, n, z0, n0, t)``: the state of
    the features and of the unpenalised intercept coordinate. ``admit_after``: Bloom
    inclusion without false positives (section 4.1): a feature enters the model on its
    ``admit_after``-th occurrence (a non-zero in a row whose gradient is not zero); until
    then it has weight 0 and no state.
    """
    X = sp.csr_matrix(X, dtype=np.float64)
    n_rows, d = X.shape
    y = np.asarray(y, dtype=np.float64)
    sw = np.ones(n_rows) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    order = np.arange(n_rows) if order is None else order
    z, n = np.zeros(d), np.zeros(d)
    z0 = n0 = 0.0
    t = 0
    seen = np.zeros(d, dtype=np.int64)
    held = np.full(d, admit_after is None)
    for _ in range(epochs):
        for row in order:
            t += 1
            l1 = lambda1 * t if mean_scaled else lambda1
            l2 = lambda2 * t if mean_scaled else lambda2
            start, end = X.indptr[row], X.indptr[row + 1]
            features = X.indices[start:end]
            values = X.data[start:end]
            # "compute w_i for i in I" (lazily, from z and n)
            w = {}
            for i in features:
                if abs(z[i]) <= l1:
                    w[i] = 0.0
                else:
                    w[i] = -(z[i] - np.sign(z[i]) * l1) / ((beta + math.sqrt(n[i])) / eta0 + l2)
            w0 = -z0 / ((beta + math.sqrt(n0)) / eta0) if fit_intercept else 0.0
            p = w0 + sum(w[i] * x for i, x in zip(features, values))
            dloss = sw[row] * _loss_gradient(loss, p, y[row], epsilon)
            for i, x in zip(features, values):
                if not held[i] and x != 0.0 and dloss != 0.0:
                    seen[i] += 1
                    held[i] = seen[i] >= admit_after
                if not held[i]:
                    continue
                g = dloss * x
                sigma = (math.sqrt(n[i] + g * g) - math.sqrt(n[i])) / eta0
                z[i] += g - sigma * w[i]
                n[i] += g * g
            if fit_intercept:
                sigma0 = (math.sqrt(n0 + dloss * dloss) - math.sqrt(n0)) / eta0
                z0 += dloss - sigma0 * w0
                n0 += dloss * dloss
    return z, n, z0, n0, t


def weights_from_state(z, n, *, eta0, beta, lambda1, lambda2):
    """The lazy weights of Algorithm 1 for a final state."""
    w = np.zeros_like(z)
    alive = np.abs(z) > lambda1
    w[alive] = -(z[alive] - np.sign(z[alive]) * lambda1) / (
        (beta + np.sqrt(n[alive])) / eta0 + lambda2
    )
    return w


def softmax_ftrl_reference(
    X,
    y,
    n_classes,
    *,
    eta0,
    beta,
    lambda1,
    lambda2,
    mean_scaled=False,
    fit_intercept=True,
    sample_weight=None,
    epochs=1,
    order=None,
):
    """Algorithm 1 on the multinomial log loss: per row, per column, per class.

    ``y`` holds class indices in ``[0, n_classes)``. Each class ``k`` has its own weight
    ``w_ik`` and its own ``(z_ik, n_ik)`` for coordinate ``i``; the loss of a row is
    ``-log p_y`` with ``p_k = exp(m_k) / sum_c exp(m_c)`` and ``m_k = w0_k + sum_i w_ik x_i``,
    so the gradient of ``w_ik`` is ``(p_k - [y = k]) x_i``. A row whose gradients are all
    zero changes nothing. Returns ``(z, n, z0, n0, t, loss)``: ``z``, ``n`` of shape
    ``(n_classes, n_features)``, the intercepts' ``(n_classes,)``, the rows seen and the sum
    of the sample-weighted progressive losses of the last epoch.
    """
    X = sp.csr_matrix(X, dtype=np.float64)
    n_rows, d = X.shape
    K = n_classes
    sw = np.ones(n_rows) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    order = np.arange(n_rows) if order is None else order
    z, n = np.zeros((K, d)), np.zeros((K, d))
    z0, n0 = np.zeros(K), np.zeros(K)
    t = 0
    for _ in range(epochs):
        loss = 0.0
        for row in order:
            t += 1
            l1 = lambda1 * t if mean_scaled else lambda1
            l2 = lambda2 * t if mean_scaled else lambda2
            start, end = X.indptr[row], X.indptr[row + 1]
            features = X.indices[start:end]
            values = X.data[start:end]
            w = {}
            for i in features:
                for k in range(K):
                    if abs(z[k, i]) <= l1:
                        w[i, k] = 0.0
                    else:
                        w[i, k] = -(z[k, i] - np.sign(z[k, i]) * l1) / (
                            (beta + math.sqrt(n[k, i])) / eta0 + l2
                        )
            w0 = [
                -z0[k] / ((beta + math.sqrt(n0[k])) / eta0) if fit_intercept else 0.0
                for k in range(K)
            ]
            m = [w0[k] + sum(w[i, k] * x for i, x in zip(features, values)) for k in range(K)]
            top = max(m)
            e = [math.exp(mk - top) for mk in m]
            p = [ek / sum(e) for ek in e]
            label = int(y[row])
            loss += sw[row] * -math.log(p[label])
            g = [sw[row] * (p[k] - (1.0 if k == label else 0.0)) for k in range(K)]
            if all(gk == 0.0 for gk in g):
                continue
            for i, x in zip(features, values):
                for k in range(K):
                    gi = g[k] * x
                    sigma = (math.sqrt(n[k, i] + gi * gi) - math.sqrt(n[k, i])) / eta0
                    z[k, i] += gi - sigma * w[i, k]
                    n[k, i] += gi * gi
            if fit_intercept:
                for k in range(K):
                    sigma0 = (math.sqrt(n0[k] + g[k] * g[k]) - math.sqrt(n0[k])) / eta0
                    z0[k] += g[k] - sigma0 * w0[k]
                    n0[k] += g[k] * g[k]
    return z, n, z0, n0, t, loss
