from treeform.cli import main

main()
