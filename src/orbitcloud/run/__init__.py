"""The run: the stages in order (``pipeline``) and the run folder they are written to
(``folder``)."""
