"""Task tracking domain of Trợ lý công vụ: units, officials, tasks ("6 rõ"), audit, linking, reports.

Nothing here knows about Telegram or retrieval: the bot and the CLI call `tasks.service`, `tasks.linking`,
`tasks.reporting`, `tasks.importing` and `tasks.exporting` with plain Python values, so every rule
(who may see what, what an import may overwrite) lives in one place and is tested without a bot.
"""
