"""Sphinx configuration of the skgd documentation.

Build with ``make -C docs html`` (see docs/Makefile); the site lands in
``docs/_build/html``. The build needs no network: there is no intersphinx, and
the gallery runs the ``examples/plot_*.py`` scripts locally with matplotlib's
Agg backend.
"""

import re
from datetime import date

import matplotlib
from docutils import nodes

matplotlib.use("Agg")  # the gallery renders figures without a display

import skgd  # noqa: E402  (after choosing the backend)

# -- Project -------------------------------------------------------------------

project = "skgd"
author = "The skgd developers"
copyright = f"{date.today().year}, {author}"
version = skgd.__version__
release = skgd.__version__

# -- General -------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax 3 from the docs extra, copied into _static/mathjax, so formulas
    # render with no network (the default loads MathJax from a CDN).
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", "Thumbs.db", ".DS_Store"]
root_doc = "index"
default_role = "literal"  # `x` renders as code, never as an unresolved reference
pygments_style = "sphinx"
pygments_dark_style = "monokai"

# No intersphinx: the build stays offline. Names of other libraries (numpy,
# scikit-learn, matplotlib) in docstrings are shown as code without links, so
# nitpicky mode (-n) must not report them as broken references.
nitpick_ignore_regex = [
    ("py:.*", r"(numpy|np|scipy|sklearn|matplotlib|pandas)(\..*)?"),
    ("py:.*", r"(array-like|ndarray|callable|object|optional)"),
]

# -- autodoc / autosummary / numpydoc ------------------------------------------

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"  # numpydoc sections already state every type
toc_object_entries_show_parents = "hide"  # "fit()", not "GDClassifier.fit()", in page tocs

numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- Gallery -------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Only plot_*.py scripts are executed; others are shown as code.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("skgd",),
    "reference_url": {"skgd": None},
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    # The execution-times page loads jQuery and DataTables from CDNs.
    "write_computation_times": False,
    "plot_gallery": "True",
}

# -- HTML ----------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skgd {release}"
html_static_path = ["_static"]
html_css_files = ["skgd.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "light"}


# -- Docstring rendering fixes -------------------------------------------------

# In a numpydoc "name : type" line the type is reStructuredText, where a word
# ending in "_" is a link target ("coef_" -> "Unknown target name") and "*"
# opens emphasis. skgd's types name attributes ("(t_ + 1, *coef_.shape)"), so
# escape both before numpydoc parses the docstring (code spans are left alone).
_TYPE_LINE = re.compile(r"^([A-Za-z_*][\w*, ]*) : (.+)$")
_CODE_SPAN = re.compile(r"(``.*?``|`[^`]*`)")
_TRAILING_UNDERSCORE = re.compile(r"(?<=\w)_(?!\w)")


def _escape_type_markup(app, what, name, obj, options, lines):
    if not name.startswith("skgd."):
        return
    for index, line in enumerate(lines):
        match = _TYPE_LINE.match(line)
        if match is None:
            continue
        parts = _CODE_SPAN.split(match.group(2))
        for part in range(0, len(parts), 2):  # the even parts lie outside code spans
            parts[part] = _TRAILING_UNDERSCORE.sub(r"\\_", parts[part]).replace("*", r"\*")
        lines[index] = f"{match.group(1)} : {''.join(parts)}"


def _sklearn_label_as_text(app, env, node, contnode):
    """Show references to scikit-learn's own pages as text.

    The estimators inherit methods from scikit-learn (``score``,
    ``get_params``, metadata routing), whose docstrings refer to labels and
    glossary terms of scikit-learn's site; without intersphinx they have no
    target here.
    """
    if node.get("refdomain") != "std" or "docstring of sklearn." not in (node.source or ""):
        return None
    if contnode.astext() == "User Guide":  # scikit-learn's, not this one
        return nodes.inline("", "", nodes.Text("scikit-learn "), contnode)
    return contnode


def setup(app):
    # Before numpydoc's own handler (priority 500) parses the docstring.
    app.connect("autodoc-process-docstring", _escape_type_markup, priority=400)
    app.connect("missing-reference", _sklearn_label_as_text)
