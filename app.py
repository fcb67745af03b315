"""Launch the xai_demo teaching web app: ``python app.py [--lang fr] [--lecture] [--host 0.0.0.0] [--models DIR]``.

The same as ``xai-demo serve`` (it takes the same options); nothing runs on import.
"""

import sys

from xai_demo.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
