"""Training and evaluation samples in the one chat format (chat_template.py):
templated Q&A from reference data, document Q&A with planted facts, and
HashHop-style multi-hop chains. Every generator is deterministic given its seed."""
