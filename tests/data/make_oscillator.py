"""Writes tests/data/oscillator: the damped oscillator u'' + 0.5 u' + 9 u = 0, u(0) = 1, u'(0) = 0,
so u = exp(-t/4) (cos wt + sin(wt)/(4w)) with w = sqrt(9 - 1/16); 40 values of u at uniform random
times in [0, 8] with noise sd 0.02, and a law channel of 40 zeros at evenly spaced times, drawn
with numpy's default_rng(2019). Used by the `noether discover` tests."""
import numpy as np
rng = np.random.default_rng(2019)
w = np.sqrt(9 - 1 / 16)
u = lambda t: np.exp(-t / 4) * (np.cos(w * t) + np.sin(w * t) / (4 * w))
t = np.sort(rng.uniform(0, 8, 40))
y = u(t) + 0.02 * rng.standard_normal(40)
with open("oscillator/u.csv", "w") as fh:
    fh.write("t,y\n")
    for a, b in zip(t, y):
        fh.write(f"{float(a)!r},{float(b)!r}\n")
with open("oscillator/law.csv", "w") as fh:
    fh.write("t,y\n")
    for a in np.linspace(0, 8, 40):
        fh.write(f"{float(a)!r},0\n")
