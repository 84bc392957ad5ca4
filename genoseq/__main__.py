"""``python -m genoseq`` (and ``torchrun -m genoseq``) run the CLI."""

from genoseq.cli import main

if __name__ == "__main__":
    main()
