print("asyncdash")
