// MathJax 3 settings for the site's formulas.  Loaded before MathJax itself
// (mkdocs.yml, extra_javascript), which the site serves from its own files
// (docs/hooks/maths.py copies it from the django-static-mathjax package): no
// CDN at build or view time, and the pages also work opened from disk.
//
// Pages: pymdownx.arithmatex (generic output) wraps each formula in an element
// of class "arithmatex" as \( ... \) or \[ ... \]; only those are typeset.
// Notebooks: the Markdown cells (class "jp-RenderedMarkdown") keep $...$ and
// $$...$$ as written in the notebook; they are typeset too.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  // Only those elements: any element with a class is skipped with what it
  // contains, unless the class is one of processHtmlClass; elements without a
  // class inherit the choice of their parent (".+", unlike ".*|", leaves the
  // classless paragraphs inside a notebook cell to their cell).
  options: {
    ignoreHtmlClass: ".+",
    processHtmlClass: "arithmatex|jp-RenderedMarkdown",
  },
  // SVG output needs no web fonts; one cache of glyph shapes per page
  svg: { fontCache: "global" },
};

// With Material's instant navigation (off in mkdocs.yml today) a page is
// swapped in without a reload: typeset it then.  The first page is typeset by
// MathJax itself when it starts.
if (typeof document$ !== "undefined") {
  var firstPage = true;
  document$.subscribe(function () {
    var mj = window.MathJax;
    if (firstPage || !mj || typeof mj.typesetPromise !== "function") {
      firstPage = false;
      return;
    }
    mj.typesetClear();
    mj.texReset();
    mj.typesetPromise();
  });
}
