"""The book's machinery, apart from the ``recbook`` package that the chapters import.

A reader who runs a chapter needs none of it, and no chapter imports it. The results
page, which is the machinery's report rather than a lesson, imports
:mod:`recbook_tools.results_page` and :mod:`recbook_tools.results_figure`; in Colab it
installs this package from its copy of the repository, without dependencies (those
two modules and :mod:`recbook_tools.notebook_records` need only ``recbook``'s).
"""
