pytest_plugins = ["tests.home_guard"]  # a temporary TROLY_HOME for all; fails if a real data folder changes
pytest_plugins += ["tests.db_fixtures"]  # task-store fixtures: db (SQLite + PostgreSQL), org, write_sheet
pytest_plugins += ["tests.bot_fixtures"]  # Telegram bot: fake Bot API server, in-process and subprocess bots
pytest_plugins += ["tests.engine_fixtures"]  # the real retrieval engine over a cached index of the corpus
pytest_plugins += ["tests.llm_fixtures"]  # fake OpenAI-compatible server for the LLM tests
