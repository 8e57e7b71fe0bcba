"""Charts and interactive explorers (chapter 3), and the renderer choice for every front end.

- :mod:`.rendering` -- which Altair renderer draws charts here (JupyterLab, Colab, VS Code, headless);
- :mod:`.charts` -- chart plumbing shared by every chapter (named data sources, sizes, titles);
- :mod:`.explorers` -- chapter 3's charts: alpha_k, estimators, zero signal, advantages, mixtures;
- :mod:`.widgets` -- the ipywidgets explorers around them (imports ipywidgets and anywidget);
- :mod:`.tables` -- Markdown tables in notebooks (one helper for every chapter).

Nothing is imported here, so that ``import course_lib.viz.rendering`` stays light.
"""
