"""What readers asked: the question log (SQLite), feedback, and the owner's insights over them.

The answer path never knows this package exists: the edges (HTTP API, other front ends) record an
`Answer` after giving it, through the `QuestionLog` role; `rag insights` and /admin/insights read it.
"""
