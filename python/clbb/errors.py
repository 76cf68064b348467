"""clbb.Error: a failed library call, with its status code and message."""


class Error(Exception):
    """A clbb call failed.

    Attributes:
        status: the library's status code (include/clbb/status.h), an int;
            0 for errors found by the Python layer before any call.
        status_name: its short text ("invalid argument", "format", ...).
        message: the library's detailed message (clbb_last_error() or the
            error buffer), naming the file, key or argument.
    """

    def __init__(self, status, status_name, message):
        self.status = int(status)
        self.status_name = status_name
        self.message = message
        super().__init__(f"{message} ({status_name})" if message else status_name)
