"""Background work: the sweep that turns deadlines (rows) into reminders, alerts and digests."""
