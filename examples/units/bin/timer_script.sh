#!/bin/sh
echo "Too late, my time has come."
