"""Writes tests/data/heat: problem E4 of Raissi & Karniadakis (2017), u_t - a u_xx = f, a = 1,
u = exp(-t) sin(2 pi x), f = (4 pi^2 - 1) exp(-t) sin(2 pi x), 20 + 20 noise-free points on
Latin-hypercube designs of [0, 1]^2 drawn with numpy's default_rng(2017)."""
import numpy as np
rng = np.random.default_rng(2017)
def lhs(n, d):
    out = np.empty((n, d))
    for k in range(d):
        out[:, k] = (rng.permutation(n) + rng.random(n)) / n
    return out
u = lambda t, x: np.exp(-t) * np.sin(2 * np.pi * x)
f = lambda t, x: (4 * np.pi**2 - 1) * u(t, x)
xu, xf = lhs(20, 2), lhs(20, 2)
with open("heat/u.csv", "w") as fh:
    fh.write("t,x,y\n")
    for t, x in xu:
        fh.write(f"{float(t)!r},{float(x)!r},{float(u(t, x))!r}\n")
with open("heat/all.csv", "w") as fh:
    fh.write("t,x,f_obs,note\n")
    for t, x in xf:
        fh.write(f"{float(t)!r},{float(x)!r},{float(f(t, x))!r},0\n")
