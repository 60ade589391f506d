"""Telling people: a transactional outbox, channels (mail, WeCom/DingTalk robots, signed webhooks), subscriptions."""
