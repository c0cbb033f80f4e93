from olivine.cli.main import main

main()
