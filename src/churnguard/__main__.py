from churnguard.present.cli import main

main()
