"""An exact multi-prompt softmax bandit for watching exploration collapse (chapter 4).

- :mod:`.core` -- the prompts, answers and initial policy; exact gradients of pass@1, pass@k and
  an entropy bonus;
- :mod:`.sampled` -- n rollouts per prompt weighted by the registry's estimators
  (:mod:`course_lib.advantages`), and the closed-form mean of each estimate;
- :mod:`.train` -- gradient ascent with the exact gradients or the sampled estimates, the per-step
  history and its diagnostics, comparisons at matched pass@1;
- :mod:`.dependent` -- pass@k with the k answers drawn without replacement, its exact gradient
  and the exact objective ``"pass@k-wor"`` (chapter 6, open question 2);
- :mod:`.entropy` -- the entropy-change covariance identity (Cui et al.), predicted vs actual
  (chapter 6);
- :mod:`.fair` -- fair comparisons: step normalisation (mean expected step 1), the learning-rate
  sweep with its declared criterion, the base-policy and uniform-guesser baselines, the committed
  comparison (``from course_lib.bandit import fair``; not star-imported);
- :mod:`.charts` -- the chapter's Altair charts (imports Altair; not imported here).

``from course_lib import bandit as B`` gives the names of :mod:`.core`, :mod:`.sampled`, :mod:`.train`,
:mod:`.dependent` and :mod:`.entropy`.
"""

from .core import *  # noqa: F401,F403
from .core import __all__ as _core_all
from .dependent import *  # noqa: F401,F403
from .dependent import __all__ as _dependent_all
from .entropy import *  # noqa: F401,F403
from .entropy import __all__ as _entropy_all
from .sampled import *  # noqa: F401,F403
from .sampled import __all__ as _sampled_all
from .train import *  # noqa: F401,F403
from .train import __all__ as _train_all

__all__ = [*_core_all, *_sampled_all, *_train_all, *_dependent_all, *_entropy_all]
