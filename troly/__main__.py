from troly.cli import main

main()
