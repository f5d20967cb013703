"""Making and running the labs (course tooling, no lab content):

    generate  solutions/NN_*.py (jupytext) -> solutions/NN_*.ipynb (answer key) -> labs/NN_*.ipynb
    execute   run notebooks headless with papermill, write runs/<profile>/REPORT.md
    grade     execute student notebooks, report each exercise (passed / failed / not attempted)
"""

SOURCE_GLOB = "[0-9][0-9]_*.py"      # a lab's one source (jupytext percent format), in solutions/
LAB_GLOB = "[0-9][0-9]_*.ipynb"      # its answer key (solutions/) and student notebook (labs/)
