"""``python -m llmlab.tinyworld build|check|verify|stats``: see :mod:`llmlab.tinyworld.builder`."""
import sys

from llmlab.tinyworld.builder import main

sys.exit(main())
