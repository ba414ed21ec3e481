"""The exit status of every ``chitieu`` command, in one place.

0  the command completed (a run may have rejected files: see its summary and
   ``marts.rpt_submission_status``)
1  the pipeline itself failed, or there is no published warehouse to read; the
   published warehouse was left as it was
2  usage error: a bad argument, or an unknown unit, term or period
3  another run is already working on this warehouse; this one did nothing
141 the reader of the output went away (``chitieu status | head -1``), as a shell
   reports a command stopped by SIGPIPE; what the command did is unaffected
"""

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_RUN_IN_PROGRESS = 3
EXIT_OUTPUT_CLOSED = 141
