"""Reading and writing the database, one module per table (inbox, outbox, chats, cases, log)."""
