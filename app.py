"""Launch the xai_demo teaching web app: ``python app.py`` (the same as ``xai-demo serve``).

Environment: XAI_DEMO_DATA (data folder), XAI_DEMO_MODELS (models folder, default models/), XAI_DEMO_HOST
(default 127.0.0.1), PORT (default 7860).
"""

import os

from xai_demo.ui import build_app, launch

if __name__ == "__main__":
    demo = build_app(os.environ.get("XAI_DEMO_MODELS") or None)
    launch(demo, os.environ.get("XAI_DEMO_HOST", "127.0.0.1"), int(os.environ.get("PORT", "7860")))
