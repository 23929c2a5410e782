print("wiringbench")
