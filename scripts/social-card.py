"""Draw the site's one link-preview image (docs/_static/social/social-card.png), 1200 x 630.

Run by hand when the title changes; the build only copies the file (a card per page
would cost build time for a picture that says the same thing).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

OUT = Path(__file__).resolve().parents[1] / "docs" / "_static" / "social" / "social-card.png"


def main() -> None:
    fig = plt.figure(figsize=(12, 6.3), dpi=100, facecolor="#0f2a3d")
    fig.text(0.06, 0.70, "When Tokens Talk Too Much", color="white", fontsize=48, weight="bold")
    fig.text(0.06, 0.55, "A survey of multimodal long-context token compression", color="#cfe3f0", fontsize=26)
    fig.text(0.06, 0.42, "images · videos · audios", color="#8fb8d4", fontsize=24)
    fig.text(0.06, 0.12, "Every paper, filterable, with code, models and BibTeX", color="#cfe3f0", fontsize=20)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, facecolor=fig.get_facecolor(), metadata={"Software": None})
    print(OUT)


if __name__ == "__main__":
    main()
