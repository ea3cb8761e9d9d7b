"""Activities: all I/O of the processes (read-model writes, mailbox messages, journal, billing)."""
