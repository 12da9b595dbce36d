from moneystory.cli import main

main()
