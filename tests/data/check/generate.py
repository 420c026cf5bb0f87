"""Regenerate tests/data/check/*.bib: for each check code, a bib that triggers it and the fixed bib.

Run ``python tests/data/check/generate.py`` after changing a case.  ``<<>>`` marks the line where
the code is expected; the column is the field's (1 for the entry's '@' line).  The expected
``line:col`` is written into each bad file's first line, which tests/test_check.py reads.
"""

from pathlib import Path

OUT = Path(__file__).resolve().parent
PUB = """@inproceedings{{{key},
  title = {{{title}}},
  author = {{{author}}},
  year = {{{year}}},{month}
  booktitle = {{Proceedings of the IEEE/CVF International Conference on Computer Vision (ICCV)}},
  eprint = {{{eprint}}},
  archiveprefix = {{arXiv}},
  url = {{https://arxiv.org/abs/{url_id}}},{doi}
  areas = {{{areas}}},
  categories = {{attention}},
  cost = {{{cost}}},
  shortvenue = {{ICCV {year}}},
  code = {{{code}}},{extra}
  added = {{{added}}},
}}
"""
PRE = """@article{{{key},
  title = {{{title}}},
  author = {{Zeng, Quan-Sheng and Li, Yunheng}},
  year = {{{year}}},
  month = {month},
  journal = {{arXiv preprint arXiv:{eprint}}},
  eprint = {{{eprint}}},
  archiveprefix = {{arXiv}},
  url = {{https://arxiv.org/abs/{url_id}}},
  areas = {{image}},
  cost = {{training-based}},
  shortvenue = {{arXiv 2025.08}},
  code = {{https://github.com/HVision-NKU/GlimpsePrune}},
  added = {{2025-08-14}},
}}
"""
PUB_DEFAULTS = dict(key="shang2025llava", title="{LLaVA-PruMerge}: Adaptive Token Reduction for Efficient Large "
                    "Multimodal Models", author="Shang, Yuzhang and Cai, Mu and Xu, Bingxin", year="2025",
                    month="", eprint="2403.15388", url_id="2403.15388", doi="", areas="image, video",
                    cost="training-free", code="https://github.com/42Shawn/LLaVA-PruMerge", extra="",
                    added="2025-07-29")
PRE_DEFAULTS = dict(key="zeng2025glimpse", title="A Glimpse to Compress: Dynamic Visual Token Pruning for Large "
                    "Vision-Language Models", year="2025", month="aug", eprint="2508.01548", url_id="2508.01548")


def pub(**kw):
    return PUB.format(**{**PUB_DEFAULTS, **kw})


def pre(**kw):
    return PRE.format(**{**PRE_DEFAULTS, **kw})


GOOD_ONE = pub()
GOOD_TWO = pub() + "\n" + pre()
M = "<<>>"  # marks the line of the expected problem
C = "<^>"  # marks the line and the column (where it stands) of the expected problem
CASES = {
    "TC100": (GOOD_ONE.encode("utf-16"), GOOD_ONE),  # UTF-16: the whole file, header too
    "TC101": (pub(key="shang2025llava" + M).replace("Multimodal Models},", "Multimodal Models}"), GOOD_ONE),
    "TC102": (pub(key="shang2025llava" + M, title="{LLaVA-PruMerge: Adaptive Token Reduction"), GOOD_ONE),
    "TC103": (pub(month="\n  note = {Oral}," + M, extra="\n  note = {Highlight},"), pub(month="\n  note = {Oral},")),
    "TC104": (pub().replace("categories = {attention}", "catgories = {attention}" + M), GOOD_ONE),
    "TC105": (pub(areas="image, vidoe" + M), GOOD_ONE),
    "TC106": (pub(areas="Image-LLM, video" + M), GOOD_ONE),
    "TC107": (pub(cost="training-free, training-based" + M), GOOD_ONE),
    "TC108": (pub(extra="\n  slides = {https://example.org/slides.pdf}," + M), GOOD_ONE),
    "TC109": (pub(key="shang2025llava" + M).replace("@inproceedings", "@inproceeding"), GOOD_ONE),
    "TC110": (pub(key="shang&cai2025" + M), GOOD_ONE),
    "TC111": (pub() + "\n" + pre(key="Shang2025LLaVA" + M), GOOD_TWO),
    "TC112": (pub() + "\n" + pre(key="zeng2025glimpsepreprint", eprint="2403.15388", url_id="2403.15388",
                                 year="2024", title="{GlimpsePrune}").replace("month = aug", "month = mar").replace(
                                     "arXiv 2025.08", "arXiv 2024.03").replace(
                                     "eprint = {2403.15388},", "eprint = {2403.15388}," + M), GOOD_TWO),
    "TC113": (pub(doi="\n  doi = {10.1109/ICCV.2025.00123},") + "\n" +
              pre().replace("  url = {https://arxiv.org/abs/2508.01548},",
                                                       "  url = {https://arxiv.org/abs/2508.01548},\n"
                                                       "  doi = {10.1109/iccv.2025.00123}," + M),
              pub(doi="\n  doi = {10.1109/ICCV.2025.00123},") + "\n" + pre()),
    "TC114": (pub() + "\n" + pub(key="shang2024llava", year="2024",
                                 title="{LLaVA-Prumerge}: adaptive token reduction for efficient large multimodal "
                                 "models" + M, eprint="2403.15389", url_id="2403.15389").replace(
                                     "ICCV 2024", "ICCV 2025"), GOOD_TWO),
    "TC115": (pub(key="shang2025:llava") + "\n" + pre(key="shang2025/llava" + M), GOOD_TWO),
    "TC121": (b"% only a comment: the entries were lost\n", GOOD_ONE),
    "TC120": (pub(key="shang2025llava" + M).replace(
        "  booktitle = {Proceedings of the IEEE/CVF International Conference on Computer Vision (ICCV)},\n", ""),
        GOOD_ONE),
    "TC130": (pub(code="https://github.com/https://github.com/42Shawn/LLaVA-PruMerge" + M), GOOD_ONE),
    "TC131": (pub(code="github.com/42Shawn/LLaVA-PruMerge" + M), GOOD_ONE),
    "TC132": (pub(extra="\n  project = {http://example.org/prumerge}," + M),
              pub(extra="\n  project = {https://example.org/prumerge},")),
    "TC133": (pub(code="https://shang.github.io/prumerge" + M),
              pub(code="https://github.com/42Shawn/LLaVA-PruMerge",
                  extra="\n  project = {https://shang.github.io/prumerge},")),
    "TC134": (pub(doi="\n  doi = {https://doi.org/10.1109/ICCV.2025.00123}," + M),
              pub(doi="\n  doi = {10.1109/ICCV.2025.00123},")),
    "TC140": (pub(author="Shang, Yuzhang and and Cai, Mu" + M), GOOD_ONE),
    "TC141": (pub(author="Yuzhang Shang, Mu Cai, Bingxin Xu" + M), GOOD_ONE),
    "TC150": (pub().replace("year = {2025}", "year = {25}" + M), GOOD_ONE),
    "TC151": (pub(month="\n  month = {Summer}," + M), pub(month="\n  month = oct,")),
    "TC152": (pub(added="2025-13-01" + M), GOOD_ONE),
    "TC160": (pub(eprint="arXiv:2403.15388" + M), GOOD_ONE),
    "TC161": (pre(year="2024" + M), pre()),
    "TC162": (pre(month="jul" + M), pre()),
    "TC163": (pre(url_id="2507.20198" + M), pre()),
    "TC164": (pub(year="2024", eprint="2507.02279", url_id="2507.02279" + M).replace(
        "year = {2024},", "year = {2024}," + M).replace(M + "}", "}"),
        pub(year="2025", eprint="2507.02279", url_id="2507.02279")),
    "TC170": (pub(title="{LLaVA-PruMerge}: Tokens & Frames" + M), pub(title="{LLaVA-PruMerge}: Tokens \\& Frames")),
    "TC171": (pub(title="Pruning to $O(n) Tokens" + M), pub(title="Pruning to $O(n)$ Tokens")),
    "TC173": (pub(title=f"{{LLaVA-PruMerge}}: Adaptiv{C}\xe9 Token Reduction").encode("latin-1"),
              pub(title="{LLaVA-PruMerge}: Adaptiv{\\'e} Token Reduction")),
    "TC175": (pub(title="{LLaVA-PruMerge}: Adaptive Token Reduction for Efficient LMMs" + M),
              pub(title="{LLaVA-PruMerge}: Adaptive Token Reduction for Efficient {LMMs}")),
    "TC174": (pub() + "\nMaintainer: someone" + C + "@example.org (ping me)\n\n" + pre(), GOOD_TWO.replace(
        "\n@article", "\n% Maintainer: someone@example.org (ping me)\n\n@article")),
}


def expectation(text: str) -> tuple[int, int]:
    for number, line in enumerate(text.splitlines(), start=1):
        if C in line:
            return number, line.index(C) + 1
        if M in line:
            stripped = line.replace(M, "")
            column = len(stripped) - len(stripped.lstrip()) + 1
            return number, column
    raise SystemExit(f"no marker in {text[:60]}")


for old in OUT.glob("*.bib"):
    old.unlink()
for code, (bad, good) in CASES.items():
    header = "@comment{{{code}: the entry below triggers {code} at {at}}}\n\n"
    if code == "TC100":
        (OUT / f"{code}.bad.bib").write_bytes((header.format(code=code, at="1:1")).encode("utf-16") + bad[2:])
        expected = (1, 1)
    elif isinstance(bad, bytes):
        expected = expectation(header + bad.decode("latin-1")) if C.encode() in bad else (1, 1)
        at = "{}:{}".format(*expected)
        (OUT / f"{code}.bad.bib").write_bytes(header.format(code=code, at=at).encode() + bad.replace(C.encode(), b""))
    else:
        line, column = expectation(header + bad)
        text = header.format(code=code, at=f"{line}:{column}") + bad
        (OUT / f"{code}.bad.bib").write_text(text.replace(M, "").replace(C, ""))
        expected = (line, column)
    (OUT / f"{code}.good.bib").write_text(f"@comment{{{code}: the same entry, fixed}}\n\n" + good)
    print(code, *expected)
