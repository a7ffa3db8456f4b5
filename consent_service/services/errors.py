class ServiceError(Exception):
    """A request the service layer refuses; the API turns it into a JSON error."""

    def __init__(self, status: int, message: str, errors: dict | None = None, code: str = ""):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}
        self.code = code


class NotFound(ServiceError):
    def __init__(self, message: str = "Not found", errors: dict | None = None):
        super().__init__(404, message, errors)


class Invalid(ServiceError):
    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(422, message, errors)
