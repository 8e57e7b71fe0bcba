"""An exact multi-prompt softmax bandit for watching exploration collapse (chapter 4).

- :mod:`.core` -- the prompts, answers and initial policy; exact gradients of pass@1, pass@k and
  an entropy bonus;
- :mod:`.train` -- gradient ascent with the exact gradients or with the sampled group estimators
  of the registry (:mod:`course_lib.advantages`), and the per-step history;
- :mod:`.charts` -- the chapter's Altair charts (imports Altair; not imported here).

``from course_lib import bandit as B`` gives the names of :mod:`.core` and :mod:`.train`.
"""

from .core import *  # noqa: F401,F403
from .core import __all__ as _core_all
from .train import *  # noqa: F401,F403
from .train import __all__ as _train_all

__all__ = [*_core_all, *_train_all]
