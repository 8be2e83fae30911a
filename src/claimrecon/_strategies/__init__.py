"""The built-in strategies, each a plugin module registered like any other."""
