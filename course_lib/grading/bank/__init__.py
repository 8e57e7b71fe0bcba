"""Question banks, one module per exercise notebook (``exNN.py`` holding a list ``QUESTIONS``).

Only visible tests live here (the learner can read them, as with any open course). Hidden tests
live in the instructor's solution notebooks and reach a kernel only through ``passk grade``.
Every reference answer is a course_lib function or is computed with one: nothing is typed in.
"""
