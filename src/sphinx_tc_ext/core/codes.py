"""The codes of ``tc-survey check``: one table that the linter, the bib reader's problems and the docs share.

Each problem the reader or the linter finds carries one of these codes where it is made;
the reference page of the docs renders this table.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class CheckCode:
    code: str
    name: str
    severity: str  # "error" or "warning"
    subtype: str  # the matching Sphinx warning subtype (``tc.<subtype>``)
    description: str
    example: str  # bib text that triggers the code
    online: bool = False  # reported only by ``check --online`` (it asks the network)


#: Every problem ``tc-survey check`` reports.  The docs render this table.
CODES: tuple[CheckCode, ...] = (
    CheckCode("TC100", "unreadable-input", ERROR, "syntax",
              "The bib file cannot be read, or the taxonomy file is invalid.",
              "tc-survey check missing.bib"),
    CheckCode("TC101", "syntax-error", ERROR, "syntax",
              "An entry that cannot be parsed (missing key, missing '=' or ',', undefined @string macro); "
              "the site skips it.",
              "@article{key, title = {A} year = {2025}}"),
    CheckCode("TC102", "unbalanced-braces", ERROR, "syntax",
              "An entry whose '{' and '}' do not balance; the site skips it.",
              "title = {{LLaVA-PruMerge: Adaptive},"),
    CheckCode("TC103", "duplicate-field", ERROR, "syntax",
              "The same field twice in one entry; BibTeX keeps the first and warns.",
              "year = {2024},\n  year = {2025},"),
    CheckCode("TC104", "misspelt-field", ERROR, "vocabulary",
              "An unknown field one or two letters away from a known one: almost certainly a typo, "
              "and the value is lost.",
              "catgories = {attention},"),
    CheckCode("TC105", "unknown-value", ERROR, "vocabulary",
              "A taxonomy field holds a value the taxonomy does not declare; the value is ignored.",
              "areas = {vidoe},"),
    CheckCode("TC106", "value-alias", WARNING, "vocabulary",
              "A taxonomy value written as a label or alias instead of its id; it is mapped to the id.",
              "areas = {Video-LLM},"),
    CheckCode("TC107", "too-many-values", ERROR, "vocabulary",
              "A single-valued taxonomy field holds several values; only the first is kept.",
              "cost = {training-free, training-based},"),
    CheckCode("TC108", "unknown-field", WARNING, "vocabulary",
              "A field that neither BibTeX styles, the schema nor the taxonomy know; nothing reads it.",
              "slides = {https://example.org/talk.pdf},"),
    CheckCode("TC109", "unknown-entry-type", ERROR, "syntax",
              "An entry type BibTeX styles do not define (plain.bst warns and prints it as @misc).",
              "@inproceeding{key, ...}"),
    CheckCode("TC110", "bad-key", ERROR, "syntax",
              "A citation key with characters \\cite cannot take; use letters, digits and _ : . + / -.",
              "@article{shao&tao2025, ...}"),
    CheckCode("TC111", "duplicate-key", ERROR, "duplicate",
              "Two entries share a citation key (case-insensitively, across all checked files).",
              "@article{shao2025tokens, ...}\n@misc{Shao2025Tokens, ...}"),
    CheckCode("TC112", "duplicate-arxiv", ERROR, "duplicate",
              "Two entries point to the same arXiv paper (eprint, arxiv.org URL or 'arXiv:' journal).",
              "% in two entries:\neprint = {2507.20198},"),
    CheckCode("TC113", "duplicate-doi", ERROR, "duplicate",
              "Two entries share a DOI (compared case-insensitively).",
              "% in two entries:\ndoi = {10.1109/ICCV.2025.00123},"),
    CheckCode("TC114", "duplicate-title", WARNING, "duplicate",
              "Two entries have the same title once case, accents, LaTeX and punctuation are ignored: "
              "usually a preprint and its published version.",
              "title = {{LLaVA-PruMerge}: Adaptive ...},\n% and in another entry:\n"
              "title = {LLaVA-Prumerge: adaptive ...},"),
    CheckCode("TC115", "anchor-collision", ERROR, "duplicate",
              "Two keys that make the same HTML anchor (every character other than letters, digits, '-' and "
              "'_' becomes '-'): the later paper's card gets an anchor with a hash suffix, so links stay "
              "right, but rename one key so its anchor is predictable.",
              "@article{smith2025:vit, ...}\n@article{smith2025/vit, ...}"),
    CheckCode("TC120", "missing-field", ERROR, "missing",
              "A required field is missing or empty: title, author and year everywhere, journal for "
              "@article, booktitle for @inproceedings, the taxonomy's required facets, and what the "
              "standard styles need for other types (publisher, school, institution...).",
              "@inproceedings{key,\n  title = {A},\n  author = {B, C},\n  year = {2025},\n}"),
    CheckCode("TC121", "no-entries", ERROR, "missing",
              "The bib file holds no entries (it is empty, or holds only comments, @string or @preamble): "
              "the site would show no papers. Usually the wrong file, or one emptied by a failed edit.",
              "% only a comment"),
    CheckCode("TC130", "doubled-url", ERROR, "url",
              "A link whose prefix is doubled or that holds a second URL.",
              "code = {https://github.com/github.com/o/r},"),
    CheckCode("TC131", "invalid-url", ERROR, "url",
              "A link that is not an http(s) URL (or holds spaces); the site drops it.",
              "code = {github.com/owner/repo},"),
    CheckCode("TC132", "insecure-url", WARNING, "url",
              "A link over plain http; use https when the site supports it.",
              "project = {http://example.org/project},"),
    CheckCode("TC133", "code-not-repository", WARNING, "url",
              "A 'code' link that is not a repository (github.com/OWNER/REPO, GitLab, Bitbucket, Codeberg, "
              "Gitee, a Hugging Face Space); project pages go in 'project', weights in 'model'.",
              "code = {https://owner.github.io/project},"),
    CheckCode("TC134", "bad-doi", ERROR, "url",
              "A doi that is not a bare DOI (10.NNNN/...): drop 'https://doi.org/' or 'doi:'.",
              "doi = {https://doi.org/10.1145/3581783},"),
    CheckCode("TC135", "invisible-in-url", ERROR, "url",
              "A link or key holding an invisible character: a bidi override or isolate (U+202A-202E, "
              "U+2066-2069) or a zero-width character (U+200B-200D, U+2060, U+FEFF). It changes where the "
              "link goes or how it reads while looking the same (the example shows it as <U+200B>).",
              "code = {https://github.com/o/r<U+200B>},"),
    CheckCode("TC136", "dead-link", WARNING, "url",
              "Only with 'tc-survey check --online': a link (url, code, model, dataset, project, or a doi as its "
              "https://doi.org/ link) that answers 404, 410, another 4xx or a 5xx, or cannot be reached within "
              "the timeout. 401, 403 and 429 are not reported: servers answer them to robots, not for dead pages.",
              "code = {https://github.com/owner/deleted},", online=True),
    CheckCode("TC140", "empty-author", ERROR, "missing",
              "An empty author list, or an empty name in it (a doubled, leading or trailing 'and').",
              "author = {Shao, Kele and and Tao, Keda},"),
    CheckCode("TC141", "malformed-author", ERROR, "syntax",
              "An author list that BibTeX splits wrongly: names separated by commas or semicolons "
              "instead of 'and', 'et al.' instead of 'and others', too many commas in a name.",
              "author = {Kele Shao, Keda Tao, Kejia Zhang},"),
    CheckCode("TC150", "bad-year", ERROR, "date",
              "A year that is not four digits.",
              "year = {25},"),
    CheckCode("TC151", "bad-month", ERROR, "date",
              "A month that is not jan..dec, a month name or 1..12.",
              "month = {Summer},"),
    CheckCode("TC152", "bad-added", ERROR, "date",
              "An 'added' or 'updated' date that is not a real YYYY-MM-DD date.",
              "added = {14/08/2025},"),
    CheckCode("TC160", "bad-arxiv-id", ERROR, "syntax",
              "An arXiv identifier that is not YYMM.NNNNN (or archive/YYMMNNN), or written with an "
              "'arXiv:' prefix in eprint.",
              "eprint = {arXiv:2508.1548},"),
    CheckCode("TC161", "year-before-arxiv", ERROR, "date",
              "A preprint whose year is earlier than its arXiv identifier's (2508.01548 was posted in "
              "2025-08): a preprint cannot predate its posting.",
              "journal = {arXiv preprint arXiv:2508.01548},\n  eprint = {2508.01548},\n  year = {2024},"),
    CheckCode("TC162", "arxiv-date-mismatch", WARNING, "date",
              "A preprint whose year/month or 'arXiv YYYY.MM' badge differ from its arXiv identifier.",
              "eprint = {2508.01548},\n  month = jul,\n  shortvenue = {arXiv 2025.07},"),
    CheckCode("TC163", "arxiv-id-conflict", ERROR, "syntax",
              "eprint, url and journal of one entry name different arXiv papers.",
              "eprint = {2508.01548},\n  url = {https://arxiv.org/abs/2507.20198},"),
    CheckCode("TC164", "published-before-arxiv", WARNING, "date",
              "A published paper whose year is earlier than its arXiv identifier's. Usually the year is "
              "wrong (a published version is as late as the preprint or later), but some papers are posted "
              "to arXiv after the proceedings appear: check the venue's year.",
              "booktitle = {Findings of EMNLP 2024},\n  eprint = {2507.02279},\n  year = {2024},"),
    CheckCode("TC170", "latex-special-char", ERROR, "syntax",
              "An unescaped &, %, #, _ or ^ outside math and outside URL fields: LaTeX stops on it "
              "(write \\&, \\%, \\#, \\_, or put it in $...$).",
              "title = {Tokens & Frames: 50% Fewer Tokens},"),
    CheckCode("TC171", "unbalanced-math", ERROR, "syntax",
              "An odd number of unescaped '$' in a field: math mode never ends.",
              "title = {Pruning to $O(n) Tokens},"),
    CheckCode("TC172", "control-character", ERROR, "syntax",
              "A control character (U+0000-001F but tab and newline, U+007F-009F) in a field or key: "
              "invisible, invalid in the Atom feed's XML; the site deletes it from fields and skips the "
              "entry when it is in the key (the example shows it as <U+0001>).",
              "title = {Token<U+0001> Pruning},"),
    CheckCode("TC173", "not-utf8", ERROR, "syntax",
              "Bytes that are not UTF-8 (a file saved as Latin-1 or Windows-1252): the entry is kept with "
              "'\ufffd' in their place. Re-save the file as UTF-8, or write the character as a LaTeX "
              "command such as {\\'e}.",
              "title = {Caf\\xe9} % one Latin-1 byte"),
    CheckCode("TC174", "stray-text", WARNING, "syntax",
              "A line between entries that holds an '@'. BibTeX ignores text between entries, but an '@' "
              "there is often a broken entry or a pasted line; remove it or make it a '%' comment.",
              "Maintainer: someone@example.org"),
    CheckCode("TC175", "unprotected-capitals", WARNING, "syntax",
              "A title word with a capital after its first letter (an acronym, a CamelCase name, 3D) "
              "written without braces: natbib's plainnat and every sentence-case style print it lowered "
              "(LLaVA-PruMerge becomes Llava-prumerge). Write it braced, each hyphen part on its own "
              "({LLaVA}-{PruMerge}), or run tc-survey fmt, which does.",
              "title = {LLaVA-PruMerge: Token Reduction},"),
)
CODES_BY_ID: dict[str, CheckCode] = {c.code: c for c in CODES}
