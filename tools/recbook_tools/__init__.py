"""The book's machinery, apart from the ``recbook`` package that the chapters import.

Colab never installs it: a reader who runs a chapter needs none of it.
"""
