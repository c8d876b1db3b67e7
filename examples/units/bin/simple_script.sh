#!/bin/sh
echo "I'm just a poor script, I need no sympathy!"
