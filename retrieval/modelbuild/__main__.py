"""`python -m retrieval.modelbuild [--force] [TARGET]`: build (or find) the default model, print its path."""

from retrieval.modelbuild.build import main

raise SystemExit(main())
