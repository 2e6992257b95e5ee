"""Contacts: validate, score with the champion, store with the model that scored them."""
