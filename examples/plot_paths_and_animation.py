"""
Optimizer paths on test functions, drawn and animated
=====================================================

:meth:`~skgd.OptimizerPathDisplay.from_minimize` draws the paths of
:func:`skgd.minimize` over the contours of the function they descend, with an
equal aspect: one unit is as long on both axes, so a valley is drawn with its
true shape and orientation.

* On a quadratic of condition number 100 the valley is ten times longer than
  wide. Plain gradient descent, with a step η close to its limit ``2 / L``,
  zig-zags across it; momentum, with the step and β that suit this
  condition number, runs along the valley and overshoots a little; Adam
  moves every coordinate by about η per step.
* On Rosenbrock's curved valley every rule finds the valley floor in a few
  steps and then follows it slowly towards the minimizer (1, 1). The contour
  levels are spaced logarithmically, so the floor shows.

:meth:`~skgd.OptimizerPathDisplay.animate` turns a drawing into an animation
of the paths growing (a ``matplotlib.animation.FuncAnimation``); here three of
its frames are drawn side by side with
:meth:`~skgd.OptimizerPathDisplay.draw_until`.
"""

import matplotlib.pyplot as plt

from skgd import OptimizerPathDisplay, minimize
from skgd.functions import quadratic, rosenbrock

# %%
# Paths over the contours
# -----------------------
valley = quadratic(condition_number=100.0)
valley_rules = {
    "batch (η = 1.9 / L)": dict(optimizer="batch", learning_rate=1.9 / 100.0),
    # the heavy ball's best: η = 4 / (√L + √μ)², β = ((√κ - 1) / (√κ + 1))²
    "momentum (η = 0.033, β = 0.67)": dict(optimizer="momentum", learning_rate=0.033, beta=0.67),
    "adam (η = 0.1)": dict(optimizer="adam", learning_rate=0.1),
}
banana = rosenbrock()
banana_rules = {
    "batch (η = 0.0015)": dict(optimizer="batch", learning_rate=1.5e-3),
    "momentum (η = 0.001, β = 0.9)": dict(optimizer="momentum", learning_rate=1e-3, beta=0.9),
    "adam (η = 0.02)": dict(optimizer="adam", learning_rate=0.02),
}


def run(problem, start, rules, n_steps):
    return {
        name: minimize(problem.fun, start, jac=problem.jac, max_iter=n_steps, tol=None, **params)
        for name, params in rules.items()
    }


# A start far along the valley and a little off its floor.
valley_paths = run(valley, [0.0, -1.35], valley_rules, 150)
banana_paths = run(banana, [-1.2, 1.0], banana_rules, 2000)

fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 10), layout="constrained")
OptimizerPathDisplay.from_minimize(valley_paths, valley, ax=top, legend_loc="outside")
top.set_title("quadratic, condition number 100: 150 steps")
OptimizerPathDisplay.from_minimize(banana_paths, banana, window=(-1.6, 1.6, -0.6, 1.6), ax=bottom,
                                   legend_loc="outside")  # fmt: skip
bottom.set_title("Rosenbrock: 2000 steps")
for name, result in {**valley_paths, **banana_paths}.items():
    print(f"{name}: f = {result.fun:.2e} after {result.nit} steps")

# %%
# An animation of the paths
# -------------------------
# ``animate`` returns the animation; ``animation.save("paths.gif",
# writer="pillow")`` writes a GIF, and ``animation.to_jshtml()`` the HTML of a
# player for a notebook (``to_html5_video`` would need ffmpeg). Its frames are
# step numbers, each drawn by ``draw_until``: three of them side by side.
display = OptimizerPathDisplay.from_minimize(valley_paths, valley)
animation = display.animate(frames=30, interval=100)
html = animation.to_jshtml()  # in a notebook: IPython.display.HTML(html)
print(f"{len(display.frame_steps_)} frames at steps {display.frame_steps_.tolist()}")
plt.close(display.figure_)

fig, axes = plt.subplots(1, 3, figsize=(12, 5), layout="constrained")
for ax, step in zip(axes, (5, 20, 150), strict=True):
    frame = OptimizerPathDisplay.from_minimize(valley_paths, valley, ax=ax)
    frame.draw_until(step)
    frame.legend_.remove()  # one legend for the three frames, below them
fig.legend(handles=frame.legend_.legend_handles, loc="outside lower center", ncols=4)
plt.show()
