"""The two ways a template fails: when it is parsed, and when it runs against some data."""


class TemplateSyntaxError(ValueError):
    """The template cannot be parsed, or uses a construct this interpreter does not support."""


class TemplateError(Exception):
    """A template failed while running against one object (wrong argument type, bad index)."""
