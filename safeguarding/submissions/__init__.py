"""Every create happens once: Back-and-resubmit, a double click or two identical concurrent POSTs make one record.

Each create form carries a one-time `submission_key` (`OnceForm`). The key is claimed in the same transaction as
the record it creates, under a primary key, so a second claim waits for the first and then finds it. A second
submission that arrives with a fresh key (the browser re-fetched the form on Back) but the same answers to the same
page by the same person within `REPEAT_WINDOW` is also recognised, by a fingerprint of what was posted.
"""
